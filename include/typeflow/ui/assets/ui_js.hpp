#pragma once
// The browser run mode's one script, served as /static/ui.js (docs/ui.md, Pages): hand-written,
// no framework, embedded in the program (no file to install, nothing fetched at run time). The
// Content-Security-Policy allows script from the program only (script-src 'self'): no page has
// inline script or inline event handlers; this script finds its page by <body data-page=...>.
// Text from the server's JSON goes into the page through textContent only (never innerHTML).

#include <string_view>

namespace typeflow::ui::ui_detail {

inline constexpr std::string_view ui_js = R"js('use strict';
(function () {
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute('content') : '';
  var page = document.body.getAttribute('data-page');

  // POST url with the session's CSRF token; resolves to {status, json}. The session may have
  // changed since the page was served (another tab opened from a link on another site gets a
  // new one: the SameSite=Strict cookie is not sent with it; the server forgot the oldest of
  // 4096): refused for its session or token (403, nothing done), the page fetches its
  // session's token again and posts once more.
  function post(url, fields, again) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {'X-CSRF-Token': csrf},
      body: fields || new URLSearchParams()
    }).then(function (r) {
      return r.text().then(function (t) {
        var j = null;
        try { j = JSON.parse(t); } catch (e) { j = {error: t}; }
        j = j || {};
        if (r.status === 403 && !again && /no session|CSRF token/.test(String(j.error))) {
          return fetch('/api/session', {credentials: 'same-origin', cache: 'no-store'})
            .then(function (s) { return s.json(); })
            .then(function (s) {
              csrf = s.csrf;
              return post(url, fields, true);
            });
        }
        return {status: r.status, json: j};
      });
    });
  }
  function say(id, text) {
    var el = document.getElementById(id);
    if (el) el.textContent = text;
  }
  function failed(id) {
    return function (e) { say(id, 'typeflow: the request failed: ' + e.message); };
  }
  function isLive(status) { return status === 'running' || status === 'pending'; }

  // ------------------------------------------------------------------ a run's page
  function stepClass(s) { return !s || s === 'pending' ? 'notrun' : s; }
  function stepLabel(s) { return !s || s === 'pending' ? 'not run' : s; }
  // A map node's state from its elements: the worst one wins (as the report's roll_up).
  function rollUp(states) {
    var order = ['failed', 'timed_out', 'running', 'cancelled', 'skipped', 'pending'];
    for (var i = 0; i < order.length; i++) {
      if (states.indexOf(order[i]) >= 0) return order[i];
    }
    return states.every(function (s) { return s === 'cached'; }) ? 'cached' : 'succeeded';
  }
  function duration(s) {
    if (!s.started || !s.ended) return '-';
    var d = s.duration_s;
    if (d < 1e-3) return Math.round(d * 1e6) + 'us';
    if (d < 1) return +(d * 1e3).toPrecision(3) + 'ms';
    if (d < 60) return +d.toPrecision(3) + 's';
    var sec = Math.round(d);
    if (sec < 3600) return Math.floor(sec / 60) + 'm' + ('0' + sec % 60).slice(-2) + 's';
    var min = Math.round(d / 60);
    return Math.floor(min / 60) + 'h' + ('0' + min % 60).slice(-2) + 'm';
  }
  function cell(row, i) {
    while (row.cells.length <= i) row.insertCell(-1);
    return row.cells[i];
  }
  function updateNode(name, status, elements) {
    var g = document.getElementById('node-' + name);
    if (!g) return;
    g.setAttribute('class', 'node st-' + stepClass(status));
    var sub = stepLabel(status);
    if (elements) {
      var ok = elements.filter(function (s) { return s === 'succeeded' || s === 'cached'; });
      sub += ' \u00b7 ' + ok.length + '/' + elements.length + ' elements';
    }
    var texts = g.getElementsByTagName('text');
    if (texts.length > 1) texts[1].textContent = sub;
    var title = g.getElementsByTagName('title');
    if (title.length > 0) title[0].textContent = name + ': ' + sub;
  }
  function updateSteps(run, logBase) {
    var tbody = document.querySelector('table.steps tbody');
    var rows = {};
    if (tbody) {
      Array.prototype.forEach.call(tbody.rows, function (r) { rows[r.getAttribute('data-step')] = r; });
    }
    var own = {}, elements = {};
    run.steps.forEach(function (s) {
      own[s.name] = s.status;
      var m = /^(.+)\[(\d+)\]$/.exec(s.name);
      if (m) (elements[m[1]] = elements[m[1]] || []).push(s.status);
      if (!tbody) return;
      var row = rows[s.name];
      if (!row) {
        row = tbody.insertRow(-1);
        row.setAttribute('data-step', s.name);
        rows[s.name] = row;
      }
      cell(row, 0).textContent = s.name;
      var badge = cell(row, 1).querySelector('span');
      if (!badge) badge = cell(row, 1).appendChild(document.createElement('span'));
      badge.className = 'badge st-' + stepClass(s.status);
      badge.textContent = stepLabel(s.status);
      cell(row, 2).textContent = String(s.attempts);
      cell(row, 2).className = 'num';
      cell(row, 3).textContent = duration(s);
      cell(row, 3).className = 'num';
      cell(row, 4).textContent = s.cache_hit ? 'yes' : 'no';
      cell(row, 5).textContent = s.message;
      cell(row, 5).className = 'msg';
      if (logBase !== null && !cell(row, 6).querySelector('a')) {
        var a = document.createElement('a');
        a.className = 'log';
        a.href = logBase + encodeURIComponent(s.name);
        a.textContent = 'log';
        cell(row, 6).appendChild(a);
      }
    });
    Array.prototype.forEach.call(document.querySelectorAll('svg.dag-graph g.node'), function (g) {
      var name = g.id.slice('node-'.length);
      if (own[name] !== undefined) updateNode(name, own[name], elements[name]);
      else if (elements[name]) updateNode(name, rollUp(elements[name]), elements[name]);
    });
  }
  function updateAnswer(id, waiting) {
    var form = document.getElementById('answer');
    if (!waiting || waiting.length === 0) {
      if (form) form.parentNode.removeChild(form);
      return;
    }
    if (!form) {
      form = document.createElement('form');
      form.id = 'answer';
      var h = form.appendChild(document.createElement('h2'));
      h.textContent = 'Waiting for a parameter';
      var label = form.appendChild(document.createElement('label'));
      label.appendChild(document.createTextNode('parameter '));
      var select = label.appendChild(document.createElement('select'));
      select.id = 'answer-param';
      form.appendChild(document.createTextNode(' value '));
      var input = form.appendChild(document.createElement('input'));
      input.id = 'answer-value';
      var button = form.appendChild(document.createElement('button'));
      button.type = 'submit';
      button.id = 'answer-submit';
      button.textContent = 'answer';
      var err = form.appendChild(document.createElement('span'));
      err.id = 'error-answer';
      err.className = 'field-error';
      var anchor = document.getElementById('actions');
      anchor.parentNode.insertBefore(form, anchor.nextSibling);
      hookAnswer(id, form);
    }
    var sel = document.getElementById('answer-param');
    var had = sel.value;
    while (sel.options.length > 0) sel.remove(0);
    waiting.forEach(function (name) {
      var o = document.createElement('option');
      o.value = name;
      o.textContent = name;
      sel.appendChild(o);
    });
    if (waiting.indexOf(had) >= 0) sel.value = had;
  }
  function hookAnswer(id, form) {
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      say('error-answer', '');
      var f = new URLSearchParams();
      f.append('param', document.getElementById('answer-param').value + '=' +
               document.getElementById('answer-value').value);
      post('/api/runs/' + encodeURIComponent(id) + '/answer', f).then(function (r) {
        if (r.status >= 400) say('error-answer', r.json.error || ('HTTP ' + r.status));
        else say('error-answer', 'answered');
      }, failed('error-answer'));
    });
  }
  function runPage() {
    var id = document.body.getAttribute('data-run');
    var logBase = document.body.getAttribute('data-log-base');
    var status = document.body.getAttribute('data-status');
    var etag = null;
    var api = '/api/runs/' + encodeURIComponent(id);
    function buttons() {
      // As the command line refuses them: stop a run that is not live, retry one that is or
      // that succeeded (nothing to retry: copy runs it again), delete a live one.
      document.getElementById('stop').disabled = !isLive(status);
      document.getElementById('retry').disabled = isLive(status) || status === 'succeeded';
      document.getElementById('delete').disabled = isLive(status);
    }
    function update(run) {
      status = run.status;
      document.body.setAttribute('data-status', status);
      var badge = document.getElementById('run-status');
      badge.textContent = status;
      badge.className = 'badge run-' + status;
      updateSteps(run, logBase);
      updateAnswer(id, run.waiting_for);
      if (!isLive(status)) say('run-ended', 'the run ended: reload the page for its final metrics');
      buttons();
    }
    // Once a second while the run is live; after a failure 2, 4 ... 60 s apart (a server that
    // is down is not asked 3,600 times an hour by each open page); never again once the run is
    // gone (404: deleted elsewhere).
    var failures = 0;
    function poll() {
      var headers = {};
      if (etag) headers['If-None-Match'] = etag;
      fetch(api, {headers: headers, credentials: 'same-origin', cache: 'no-store'})
        .then(function (r) {
          if (r.status === 304) return null;
          if (!r.ok) {
            return r.text().then(function (t) {
              var e = new Error('HTTP ' + r.status);
              try { e.message = JSON.parse(t).error || e.message; } catch (x) { /* not JSON */ }
              e.gone = r.status === 404;
              throw e;
            });
          }
          etag = r.headers.get('ETag');
          return r.json();
        })
        .then(function (run) {
          if (failures > 0) say('action-error', '');
          failures = 0;
          if (run) update(run);
          if (isLive(status)) setTimeout(poll, 1000);
        }, function (e) {
          if (e.gone) {
            say('action-error', e.message + '; live updates stopped');
            return;
          }
          failures += 1;
          var wait = Math.min(60, Math.pow(2, failures));
          say('action-error', 'typeflow: live update failed (' + e.message + '); retrying in ' +
              wait + ' s');
          setTimeout(poll, wait * 1000);
        });
    }
    buttons();
    var form = document.getElementById('answer');
    if (form) hookAnswer(id, form);
    document.getElementById('stop').addEventListener('click', function () {
      say('action-error', '');
      post(api + '/stop').then(function (r) {
        if (r.status >= 400) say('action-error', r.json.error || ('HTTP ' + r.status));
      }, failed('action-error'));
    });
    document.getElementById('retry').addEventListener('click', function () {
      say('action-error', '');
      post(api + '/retry').then(function (r) {
        if (r.status >= 400 || !r.json.id) say('action-error', r.json.error || ('HTTP ' + r.status));
        else window.location.assign('/runs/' + encodeURIComponent(r.json.id));
      }, failed('action-error'));
    });
    document.getElementById('copy').addEventListener('click', function () {
      window.location.assign('/runs/new?copy=' + encodeURIComponent(id));
    });
    document.getElementById('delete').addEventListener('click', function () {
      say('action-error', '');
      if (!window.confirm('Delete run ' + id + ' and its records?')) return;
      post(api + '/delete').then(function (r) {
        if (r.status >= 400) say('action-error', r.json.error || ('HTTP ' + r.status));
        else window.location.assign('/');
      }, failed('action-error'));
    });
    if (isLive(status)) setTimeout(poll, 1000);
  }

  // ------------------------------------------------------------------ the start form
  function startPage() {
    var form = document.getElementById('start');
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      Array.prototype.forEach.call(document.querySelectorAll('.field-error'), function (e) {
        e.textContent = '';
      });
      var f = new URLSearchParams();
      // A parameter is sent when it differs from what the form showed first (the default, or
      // the copied run's value): as on the command line, the rest keep theirs.
      Array.prototype.forEach.call(form.querySelectorAll('input[data-param], select[data-param]'), function (el) {
        var v = el.type === 'checkbox' ? (el.checked ? 'true' : 'false') : el.value;
        if (v !== el.getAttribute('data-initial')) f.append('param', el.getAttribute('data-param') + '=' + v);
      });
      var experiment = document.getElementById('experiment').value;
      if (experiment !== '') f.append('experiment', experiment);
      document.getElementById('tags').value.split('\n').forEach(function (line) {
        line = line.trim();
        if (line !== '') f.append('tag', line);
      });
      ['scene', 'from', 'to', 'threads'].forEach(function (name) {
        var el = document.getElementById(name);
        if (el && el.value !== '') f.append(name, el.value);
      });
      var only = document.getElementById('only');
      if (only) {
        Array.prototype.forEach.call(only.selectedOptions, function (o) { f.append('only', o.value); });
      }
      var noCache = document.getElementById('no_cache');
      if (noCache && noCache.checked) f.append('no_cache', '1');
      document.getElementById('start-run').disabled = true;
      post(form.getAttribute('data-action'), f).then(function (r) {
        document.getElementById('start-run').disabled = false;
        if (r.status === 202 && r.json.id) {
          window.location.assign('/runs/' + encodeURIComponent(r.json.id));
          return;
        }
        var field = r.json.field || '';
        var target = null;
        if (field !== '') target = document.getElementById('error-' + field.replace(':', '-'));
        if (!target) target = document.getElementById('error-form');
        target.textContent = r.json.error || ('HTTP ' + r.status);
      }, function (e) {
        document.getElementById('start-run').disabled = false;
        failed('error-form')(e);
      });
    });
  }

  if (page === 'run') runPage();
  else if (page === 'new') startPage();
})();
)js";

}  // namespace typeflow::ui::ui_detail
