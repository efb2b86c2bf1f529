/* assets.c — the web app's stylesheet and script, built into the binary as C strings (written by
 * hand here: they are small, and a reviewer reads them next to the pages that use them).  They are
 * served at /static/app.css and /static/app.js; the pages have no inline style or script, so the
 * Content-Security-Policy can forbid both.
 *
 * The script only enhances: every page works without it (forms post, links navigate).  It shows a
 * running job's progress from /events (server-sent events) and asks before a decision.
 */
#include "serve/serve_internal.h"

const char serve_css[] =
    "*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,sans-serif;color:#1d2430;background:#f6f7f9}\n"
    "header{display:flex;gap:1.5em;align-items:center;padding:.6em 1.2em;background:#1f3a5f;color:#fff}\n"
    "header a{color:#fff;text-decoration:none}header nav a{margin-right:1em}.brand{font-weight:700}\n"
    ".who{margin-left:auto;display:flex;gap:.5em;align-items:center}.who form{display:inline}\n"
    ".role{font-size:.8em;padding:.1em .4em;border:1px solid #9bb;border-radius:3px}\n"
    "main{padding:1em 1.5em;max-width:1400px}h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}\n"
    "table{border-collapse:collapse;background:#fff;margin:.5em 0}td,th{border:1px solid #d5d9e0;padding:.25em .5em;"
    "text-align:left;vertical-align:top}th{background:#eef1f5}\n"
    "pre,code{font:13px/1.4 ui-monospace,monospace}pre{background:#fff;border:1px solid #d5d9e0;padding:.6em;"
    "overflow:auto}\n"
    ".error{color:#a00;font-weight:600}.ok{color:#060}.muted{color:#667}.notice{background:#fff8d8;border:1px solid "
    "#e5d48a;padding:.4em .7em;margin:.3em 0}\n"
    "form.login{display:flex;flex-direction:column;gap:.6em;max-width:22em}input,textarea,select,button{font:inherit}"
    "textarea{width:100%;min-height:4em}\n"
    "button{padding:.3em .9em;border:1px solid #1f3a5f;background:#1f3a5f;color:#fff;border-radius:3px;cursor:pointer}"
    "button.secondary{background:#fff;color:#1f3a5f}button.danger{background:#a33;border-color:#a33}\n"
    ".cols{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1em}.diff td{font:13px ui-monospace,monospace;white-space:"
    "pre-wrap}\n"
    ".diff .del{background:#fde8e8}.diff .add{background:#e6f6e6}.filters{display:flex;gap:.6em;align-items:end;"
    "flex-wrap:wrap}\n"
    ".convo{border-left:3px solid #1f3a5f;padding-left:.8em}.convo p{margin:.3em 0}.chart{background:#fff;border:1px "
    "solid #d5d9e0}\n"
    "progress{width:30em;height:1.2em}.status-approved{color:#060}.status-rejected{color:#a00}.status-draft{color:#a60}"
    "\n";

const char serve_js[] =
    "'use strict';\n"
    "/* Live progress of a run: the page has <div id=progress data-events=URL>. */\n"
    "document.addEventListener('DOMContentLoaded', function () {\n"
    "  var box = document.getElementById('progress');\n"
    "  if (box && box.dataset.events && window.EventSource) {\n"
    "    var src = new EventSource(box.dataset.events);\n"
    "    var bar = box.querySelector('progress'), text = box.querySelector('.text');\n"
    "    src.addEventListener('progress', function (ev) {\n"
    "      var d = JSON.parse(ev.data);\n"
    "      if (bar && d.fraction >= 0) bar.value = d.fraction;\n"
    "      if (text) text.textContent = d.rows + ' rows, ' + d.mbps.toFixed(1) + ' MB/s' +\n"
    "        (d.eta >= 0 ? ', ETA ' + Math.round(d.eta) + ' s' : '');\n"
    "    });\n"
    "    src.addEventListener('done', function (ev) {\n"
    "      src.close();\n"
    "      var d = JSON.parse(ev.data);\n"
    "      if (text) text.textContent = 'finished: ' + d.status;\n"
    "      box.dataset.done = d.status;\n"
    "      if (d.url) window.location.assign(d.url);\n"
    "    });\n"
    "  }\n"
    "});\n";
