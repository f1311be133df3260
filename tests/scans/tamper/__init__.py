# sqlmap loads tamper scripts only from a directory that is a Python package.
