// Keeps a long-running job's page current without reloading it: asks the same address for
// the job's state as JSON once a second and updates the progress bar and the status line
// (a live region, so screen readers hear it). Without JavaScript the page still works: the
// "Check again" link reloads it.
(function () {
  'use strict';
  var bar = document.querySelector('progress[data-progress-url]');
  var status = document.getElementById('job-status');
  if (!bar || !status || bar.dataset.finished === 'true') return;
  function poll() {
    fetch(bar.dataset.progressUrl, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job) return;
        bar.value = job.done;
        bar.textContent = job.done + ' of ' + job.total;
        if (job.finished) {
          window.location.reload();
        } else {
          status.textContent = 'Working: ' + job.done + ' of ' + job.total + ' done.';
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
})();
