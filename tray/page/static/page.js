// The MeshMesh Connections page: validation as you type, connecting
// without leaving the page, progress, and the fix buttons of a diagnosis.
// Without this script the page still works with plain forms.
//
// The client secret stays in its field, in this page only: it is posted
// with each Connect (so that "Switch to Sandbox and retry" can resubmit)
// and is never sent anywhere else, nor put in a URL.
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  var POLL_MS = 500;
  var VALIDATE_MS = 250;
  var CLOSED = "The Connections page has closed (it closes when left unused, or when MeshMesh quits). Open it again from the MeshMesh menu.";

  var form = document.getElementById("connect");
  var status = document.getElementById("status");
  var csrfInput = document.querySelector('input[name="csrf"]');
  var csrf = csrfInput ? csrfInput.value : "";
  var running = false;
  var lastHTML = "";
  if (!status) {
    return; // a page with no form and no attempt
  }

  function $(id) { return document.getElementById(id); }

  function checked(name) {
    var el = form && form.querySelector('input[name="' + name + '"]:checked');
    return el ? el.value : "";
  }

  // setMessage shows text (kind "error" or "warning") next to a field.
  function setMessage(field, kind, text) {
    var msg = $(field + "-msg");
    var input = $(field);
    if (msg) {
      msg.textContent = text || "";
      msg.className = "field-msg" + (text ? " is-" + kind : "");
    }
    if (input) {
      if (kind === "error" && text) {
        input.setAttribute("aria-invalid", "true");
      } else {
        input.removeAttribute("aria-invalid");
      }
    }
  }

  function setStatus(html) {
    if (html === lastHTML) {
      return;
    }
    lastHTML = html;
    status.innerHTML = html;
  }

  function setStatusText(text) {
    lastHTML = "";
    status.textContent = "";
    var p = document.createElement("p");
    p.className = "result is-bad";
    p.textContent = text;
    status.appendChild(p);
  }

  function focusResult() {
    var title = status.querySelector(".result-title");
    if (title) {
      title.focus();
    }
  }

  // ---- validation as you type ----

  var validateTimer = 0;
  var validateSeq = 0;

  function validateSoon() {
    clearTimeout(validateTimer);
    validateTimer = setTimeout(validate, VALIDATE_MS);
  }

  function validate() {
    var seq = ++validateSeq;
    var q = new URLSearchParams({
      method: checked("method"),
      env: checked("env"),
      domain: $("domain").value,
      scopes: $("scopes").value,
      alias: $("alias").value
    });
    fetch("/validate?" + q.toString(), {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || seq !== validateSeq) {
          return;
        }
        ["domain", "scopes", "alias"].forEach(function (name) {
          var m = data.fields[name] || {};
          var empty = $(name).value.trim() === "";
          // A field left empty is only reported on Connect.
          if (m.error && !empty) {
            setMessage(name, "error", m.error);
          } else if (m.warning) {
            setMessage(name, "warning", m.warning);
          } else {
            setMessage(name, "", "");
          }
        });
        showCustomInstall(data.install_custom);
      })
      .catch(function () { /* the next keystroke tries again */ });
  }

  function showCustomInstall(url) {
    var dd = $("install-custom");
    if (!dd) {
      return;
    }
    dd.textContent = "";
    if (url) {
      var a = document.createElement("a");
      a.href = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      a.textContent = url;
      dd.appendChild(a);
    } else {
      var span = document.createElement("span");
      span.className = "muted";
      span.textContent = "Type your My Domain URL above to see it.";
      dd.appendChild(span);
    }
  }

  function methodChanged() {
    var m = checked("method");
    if (m === "custom" || m === "meshmesh") {
      $("creds").open = true;
    }
    validateSoon();
  }

  // ---- connecting ----

  function connect() {
    if (running) {
      setStatusText("A sign-in is already in progress: finish it in your browser, or cancel it.");
      return;
    }
    ["method", "env", "domain", "client_id", "client_secret", "scopes", "alias"].forEach(function (f) {
      setMessage(f, "", "");
    });
    var button = $("connect-button");
    button.setAttribute("aria-disabled", "true");
    fetch("/connect", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
        "X-CSRF-Token": csrf
      },
      body: new URLSearchParams(new FormData(form))
    })
      .then(function (r) { return r.json().then(function (data) { return {status: r.status, data: data}; }); })
      .then(function (res) {
        button.removeAttribute("aria-disabled");
        var data = res.data;
        if (data.errors) {
          // The last attempt's result (and its fix buttons) no longer
          // belongs to what the form holds.
          setStatus("");
          showErrors(data.errors, data.warnings || {});
          return;
        }
        if (data.error) {
          setStatusText(data.error);
          return;
        }
        setStatus(data.html || "");
        if (data.id && !data.done) {
          follow(data.id);
        } else {
          finished(data);
        }
      })
      .catch(function () {
        button.removeAttribute("aria-disabled");
        setStatusText(CLOSED);
      });
  }

  function showErrors(errors, warnings) {
    var first = null;
    ["method", "env", "domain", "client_id", "client_secret", "scopes", "alias"].forEach(function (f) {
      if (errors[f]) {
        setMessage(f, "error", errors[f]);
        if (!first) {
          first = f;
        }
      } else if (warnings[f]) {
        setMessage(f, "warning", warnings[f]);
      }
    });
    if (first === "client_id" || first === "client_secret" || first === "scopes") {
      $("creds").open = true;
    }
    var target = $(first) || form.querySelector('input[name="' + first + '"]:checked') || form.querySelector('input[name="' + first + '"]');
    if (target) {
      target.focus();
    }
  }

  // follow polls attempt id until it is done.
  function follow(id) {
    running = true;
    var button = $("connect-button");
    if (button) {
      button.setAttribute("aria-disabled", "true");
    }
    var poll = function () {
      fetch("/attempt/" + encodeURIComponent(id) + ".json", {headers: {Accept: "application/json"}, credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (data.error) {
            stop();
            setStatusText(data.error);
            return;
          }
          setStatus(data.html);
          if (data.done) {
            stop();
            finished(data);
            return;
          }
          setTimeout(poll, POLL_MS);
        })
        .catch(function () {
          stop();
          setStatusText(CLOSED);
        });
    };
    setTimeout(poll, POLL_MS);
  }

  function stop() {
    running = false;
    var button = $("connect-button");
    if (button) {
      button.removeAttribute("aria-disabled");
    }
  }

  function finished(data) {
    if (data.connected && form) {
      $("client_secret").value = "";
    }
    focusResult();
  }

  // ---- the status region's buttons ----

  function runFix(el) {
    var kind = el.getAttribute("data-fix");
    if (kind === "cancel") {
      fetch(el.getAttribute("action"), {
        method: "POST",
        credentials: "same-origin",
        headers: {Accept: "application/json", "X-CSRF-Token": csrf}
      }).catch(function () { setStatusText(CLOSED); });
      return true;
    }
    if (!form) {
      return false; // the attempt's own page: follow the link to the form
    }
    if (kind === "retry_environment") {
      var env = $("env-" + el.getAttribute("data-env"));
      if (!env) {
        return false;
      }
      env.checked = true;
      validateSoon();
      connect();
      return true;
    }
    if (kind === "reconnect") {
      connect();
      return true;
    }
    if (kind === "use_method") {
      var m = $("method-" + el.getAttribute("data-method"));
      if (!m || m.disabled) {
        return false;
      }
      m.checked = true;
      methodChanged();
      m.focus();
      return true;
    }
    return false;
  }

  status.addEventListener("submit", function (e) {
    if (runFix(e.target)) {
      e.preventDefault();
    }
  });

  if (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      connect();
    });
    form.addEventListener("change", function (e) {
      if (e.target.name === "method") {
        methodChanged();
      } else if (e.target.name === "env") {
        validateSoon();
      }
    });
    ["domain", "scopes", "alias"].forEach(function (name) {
      $(name).addEventListener("input", validateSoon);
    });
    var summary = $("summary");
    if (summary) {
      summary.focus();
    }
  }

  // The attempt's own page (a reload, or no script when it started).
  var attemptID = status.getAttribute("data-attempt");
  if (attemptID && !status.hasAttribute("data-done")) {
    lastHTML = status.innerHTML;
    follow(attemptID);
  }
})();
