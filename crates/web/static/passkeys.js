// Passkeys (WebAuthn) on the security page and the sign-in pages.
//
// Each ceremony has two steps on the server: POST to `data-options` returns the options for
// navigator.credentials.create/get as JSON (binary values in base64url), and POST to
// `data-finish` checks the device's answer and says where to go next. Both carry the page's
// anti-forgery token in X-CSRF-Token. Without this script, or without WebAuthn in the
// browser, the passkey parts of the pages stay hidden and the password forms work as before.
(function () {
  'use strict';

  var supported = typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;

  // --- base64url, as the WebAuthn JSON encodes binary values ---------------------------------

  function fromBase64url(text) {
    var base64 = text.replace(/-/g, '+').replace(/_/g, '/');
    while (base64.length % 4 !== 0) base64 += '=';
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = '';
    for (var i = 0; i < bytes.length; i += 1) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function withBinaryIds(descriptors) {
    return (descriptors || []).map(function (d) {
      return Object.assign({}, d, { id: fromBase64url(d.id) });
    });
  }

  function creationOptions(json) {
    var o = json.publicKey;
    return Object.assign({}, o, {
      challenge: fromBase64url(o.challenge),
      user: Object.assign({}, o.user, { id: fromBase64url(o.user.id) }),
      excludeCredentials: withBinaryIds(o.excludeCredentials),
    });
  }

  function requestOptions(json) {
    var o = json.publicKey;
    return Object.assign({}, o, {
      challenge: fromBase64url(o.challenge),
      allowCredentials: withBinaryIds(o.allowCredentials),
    });
  }

  function registrationJSON(credential) {
    var r = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        attestationObject: toBase64url(r.attestationObject),
        clientDataJSON: toBase64url(r.clientDataJSON),
        transports: typeof r.getTransports === 'function' ? r.getTransports() : undefined,
      },
      extensions: credential.getClientExtensionResults(),
    };
  }

  function assertionJSON(credential) {
    var r = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        authenticatorData: toBase64url(r.authenticatorData),
        clientDataJSON: toBase64url(r.clientDataJSON),
        signature: toBase64url(r.signature),
        userHandle: r.userHandle ? toBase64url(r.userHandle) : null,
      },
      extensions: credential.getClientExtensionResults(),
    };
  }

  // --- talking to the server ------------------------------------------------------------------

  function Problem(message, fields) {
    this.message = message;
    this.fields = fields || {};
  }

  function post(url, csrf, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify(body === undefined ? {} : body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Problem(data.message || 'Something went wrong. Please try again.', data.fields);
        return data;
      });
    });
  }

  // What to tell people when the browser's own call fails.
  function browserProblem(error) {
    if (error instanceof Problem) return error;
    if (error && error.name === 'NotAllowedError') {
      return new Problem('The passkey request was cancelled or timed out. Try again when you are ready.');
    }
    if (error && error.name === 'InvalidStateError') {
      return new Problem('This device already holds a passkey for your account.');
    }
    if (error && error.name === 'SecurityError') {
      return new Problem('This browser refused passkeys on this address.');
    }
    return new Problem('Your browser could not use a passkey here.');
  }

  function showProblem(root, problem) {
    var region = root.querySelector('[data-passkey-problem]');
    if (!region) return;
    region.textContent = problem ? problem.message : '';
    region.hidden = !problem;
  }

  // On the wrong host name (an IP address, say), passkeys cannot work: point to the right one.
  function onRightSite(root) {
    if (!root.dataset.rpId || window.location.hostname === root.dataset.rpId) return true;
    var elsewhere = root.querySelector('[data-passkey-elsewhere]');
    if (elsewhere) elsewhere.hidden = false;
    return false;
  }

  // --- adding a passkey (security page) -------------------------------------------------------

  // Marks a field as the server's message says, the way the server-rendered forms do.
  function markField(form, name, message) {
    var input = form.querySelector('#' + name);
    if (!input) return;
    var errorId = name + '-error';
    var old = form.querySelector('#' + errorId);
    if (old) old.remove();
    var described = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter(function (id) {
      return id && id !== errorId;
    });
    if (message) {
      var error = document.createElement('p');
      error.className = 'field-error';
      error.id = errorId;
      error.textContent = message;
      input.parentNode.insertBefore(error, input);
      input.setAttribute('aria-invalid', 'true');
      described.unshift(errorId);
    } else {
      input.removeAttribute('aria-invalid');
    }
    if (described.length) input.setAttribute('aria-describedby', described.join(' '));
    else input.removeAttribute('aria-describedby');
  }

  function setUpRegistration(form) {
    var unsupported = document.querySelector('[data-passkey-unsupported]');
    if (!supported) return;
    form.hidden = false;
    if (unsupported) unsupported.hidden = true;
    var rightSite = onRightSite(form);
    var button = form.querySelector('button[type="submit"]');
    if (!rightSite) button.disabled = true;

    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (button.disabled) return;
      button.disabled = true;
      showProblem(form, null);
      ['passkey_name', 'passkey_password'].forEach(function (name) { markField(form, name, null); });
      var password = form.querySelector('#passkey_password');
      post(form.dataset.options, form.dataset.csrf, {
        name: form.querySelector('#passkey_name').value,
        password: password.value,
      })
        .then(function (options) {
          password.value = '';
          return navigator.credentials.create({ publicKey: creationOptions(options) });
        })
        .then(function (credential) {
          return post(form.dataset.finish, form.dataset.csrf, registrationJSON(credential));
        })
        .then(function (done) {
          window.location.assign(done.redirect);
        })
        .catch(function (error) {
          var problem = browserProblem(error);
          var first = null;
          Object.keys(problem.fields).forEach(function (name) {
            markField(form, name, problem.fields[name]);
            first = first || form.querySelector('#' + name);
          });
          showProblem(form, problem);
          button.disabled = false;
          if (first) first.focus();
        });
    });
  }

  // --- signing in with a passkey ---------------------------------------------------------------

  function setUpSignIn(panel) {
    if (!supported) return;
    panel.hidden = false;
    var button = panel.querySelector('[data-passkey-start]');
    if (!onRightSite(panel)) {
      button.disabled = true;
      return;
    }
    var autofill = null; // the conditional request waiting in the e-mail field's autofill

    function finish(credential) {
      return post(panel.dataset.finish, panel.dataset.csrf, {
        credential: assertionJSON(credential),
        next: panel.dataset.next || '',
      }).then(function (done) {
        window.location.assign(done.redirect);
      });
    }

    function ask(mediation, signal) {
      return post(panel.dataset.options, panel.dataset.csrf).then(function (options) {
        var request = { publicKey: requestOptions(options) };
        if (mediation) request.mediation = mediation;
        if (signal) request.signal = signal;
        return navigator.credentials.get(request);
      });
    }

    button.addEventListener('click', function () {
      if (autofill) {
        autofill.abort();
        autofill = null;
      }
      button.disabled = true;
      showProblem(panel, null);
      ask(null, null)
        .then(finish)
        .catch(function (error) {
          showProblem(panel, browserProblem(error));
          button.disabled = false;
        });
    });

    // Passkeys offered in the e-mail field's suggestions as well, where the browser can.
    if (panel.dataset.autofill === 'true' && typeof PublicKeyCredential.isConditionalMediationAvailable === 'function') {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
        if (!available || typeof AbortController !== 'function') return;
        autofill = new AbortController();
        var mine = autofill;
        ask('conditional', mine.signal)
          .then(function (credential) {
            if (credential) return finish(credential);
            return undefined;
          })
          .catch(function (error) {
            // Cancelled in favour of the button: nothing to say.
            if (mine.signal.aborted || (error && error.name === 'AbortError')) return;
            showProblem(panel, browserProblem(error));
          });
      });
    }
  }

  function start() {
    var forms = document.querySelectorAll('form[data-passkey-register]');
    for (var i = 0; i < forms.length; i += 1) setUpRegistration(forms[i]);
    var panels = document.querySelectorAll('[data-passkey-sign-in]');
    for (var j = 0; j < panels.length; j += 1) setUpSignIn(panels[j]);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
