// The Orgs view of the MeshMesh Connections page: search and filters as
// you type (toggling the prebuilt rows' hidden, over a precomputed
// lower-case haystack), sorting, each org's actions panel (built when
// opened, one at a time), the actions posted without leaving the page,
// and polling /orgs.json?since=VERSION every 2 s for changes.
// Without this script the rows and the panels' forms still work.
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  var POLL_MS = 2000;
  var ACTION = "/orgs/action";
  var CLOSED = "The Connections page has closed (it closes when left unused, or when MeshMesh quits). Open it again from the MeshMesh menu.";

  function $(id) { return document.getElementById(id); }

  var section = $("orgs");
  if (!section) {
    return;
  }
  var csrf = document.querySelector('input[name="csrf"]').value;
  var version = section.getAttribute("data-version");
  var tbody = $("rows");
  var table = $("orgs-table");
  var rowTpl = $("row-tpl");
  var panelTpl = $("panel-tpl");
  var linkTpl = $("link-tpl");
  var q = $("q");
  var fGroup = $("f-group");
  var fCat = $("f-cat");
  var fState = $("f-state");
  var notice = $("notice");
  var closed = false;

  // ---- the rows ----

  // An entry is one org's row: its element, its username and alias, and
  // what the filters look at.
  var byUser = new Map();
  var order = []; // the entries in the server's order (favourites first)

  function index(e) {
    var c = e.tr.cells;
    e.cat = c[4].textContent;
    e.group = c[5].textContent;
    e.state = e.tr.getAttribute("data-s");
    e.fav = e.tr.hasAttribute("data-f");
    e.hay = (c[1].textContent + "\n" + c[2].textContent + "\n" + c[3].textContent + "\n" +
      (e.tr.getAttribute("data-k") || "")).toLowerCase();
  }

  Array.prototype.forEach.call(tbody.rows, function (tr) {
    if (tr.classList.contains("panel-row")) {
      return;
    }
    var user = tr.cells[2].textContent;
    var name = tr.cells[1].textContent;
    var e = {tr: tr, user: user, alias: name === user ? "" : name, sig: ""};
    index(e);
    byUser.set(user, e);
    order.push(e);
  });

  // fill makes row tr show org o, as the server's template does.
  function fill(tr, o) {
    tr.setAttribute("data-s", o.state);
    tr.setAttribute("data-k", o.key);
    if (o.favourite) {
      tr.setAttribute("data-f", String(o.favourite));
    } else {
      tr.removeAttribute("data-f");
    }
    var c = tr.cells;
    c[0].firstElementChild.setAttribute("aria-pressed", o.favourite ? "true" : "false");
    c[1].textContent = o.alias || o.username;
    c[2].textContent = o.username;
    c[3].textContent = o.org_name;
    c[4].textContent = o.category;
    c[5].textContent = o.group;
    var st = c[6].firstElementChild;
    st.className = "st st-" + o.state;
    st.textContent = o.state_text || o.state;
    c[7].textContent = o.last_used_text;
    c[8].querySelector("a.more").setAttribute("href", "/orgs?org=" + encodeURIComponent(o.username));
  }

  // ---- search and filters ----

  function filter() {
    var t0 = performance.now();
    var needle = q.value.trim().toLowerCase();
    var words = needle ? needle.split(/\s+/) : [];
    var g = fGroup.value;
    var cat = fCat.value;
    var s = fState.value;
    var shown = 0;
    for (var i = 0; i < order.length; i++) {
      var e = order[i];
      var ok = (g === "*" || e.group === g) && (cat === "*" || e.cat === cat) && (s === "*" || e.state === s);
      for (var j = 0; ok && j < words.length; j++) {
        ok = e.hay.indexOf(words[j]) >= 0;
      }
      if (e.tr.hidden === ok) {
        e.tr.hidden = !ok;
      }
      if (ok) {
        shown++;
      }
    }
    if (panel) {
      panel.row.hidden = panel.entry.tr.hidden;
    }
    var all = order.length;
    var noun = all === 1 ? " org" : " orgs";
    $("count").textContent = shown === all ? all + noun : shown + " of " + all + noun;
    $("none").hidden = shown > 0 || all === 0;
    // What a keystroke costs, for the tests to read.
    section.setAttribute("data-filter-ms", (performance.now() - t0).toFixed(3));
  }

  q.addEventListener("input", filter);
  [fGroup, fCat, fState].forEach(function (el) { el.addEventListener("change", filter); });
  $("clear").addEventListener("click", function () {
    q.value = "";
    fGroup.value = fCat.value = fState.value = "*";
    filter();
    q.focus();
  });

  // ---- sorting ----

  var sortCol = 0; // 0: the server's order
  var sortDir = 1;

  function sorted() {
    if (!sortCol) {
      return order;
    }
    var keyed = order.map(function (e, i) {
      return {e: e, i: i, k: e.tr.cells[sortCol].textContent.toLowerCase()};
    });
    keyed.sort(function (a, b) {
      var c = a.k < b.k ? -1 : a.k > b.k ? 1 : 0;
      return c * sortDir || a.i - b.i;
    });
    return keyed.map(function (x) { return x.e; });
  }

  // place puts the rows in the DOM in the order shown, the panel under its
  // row, keeping the focus where it was.
  function place() {
    var list = sorted();
    var dom = tbody.rows;
    var same = true;
    for (var i = 0, d = 0; i < list.length; i++, d++) {
      if (dom[d] && dom[d].classList.contains("panel-row")) {
        d++;
      }
      if (dom[d] !== list[i].tr) {
        same = false;
        break;
      }
    }
    if (same && (!panel || panel.entry.tr.nextElementSibling === panel.row)) {
      return;
    }
    var active = document.activeElement;
    var frag = document.createDocumentFragment();
    list.forEach(function (e) {
      frag.appendChild(e.tr);
      if (panel && panel.entry === e) {
        frag.appendChild(panel.row);
      }
    });
    tbody.appendChild(frag);
    if (active && active !== document.activeElement && tbody.contains(active)) {
      active.focus();
    }
  }

  table.querySelector("thead").addEventListener("click", function (ev) {
    var b = ev.target.closest("button.sort");
    if (!b) {
      return;
    }
    var col = Number(b.parentNode.getAttribute("data-col"));
    if (sortCol !== col) {
      sortCol = col;
      sortDir = 1;
    } else if (sortDir === 1) {
      sortDir = -1;
    } else {
      sortCol = 0;
      sortDir = 1;
    }
    table.querySelectorAll("thead th[data-col]").forEach(function (th) {
      if (Number(th.getAttribute("data-col")) === sortCol) {
        th.setAttribute("aria-sort", sortDir === 1 ? "ascending" : "descending");
      } else {
        th.removeAttribute("aria-sort");
      }
    });
    place();
  });

  // ---- each org's actions panel ----

  var panel = null; // {entry, row}

  function fillPanel(row, e) {
    row.querySelectorAll('input[name="username"]').forEach(function (i) { i.value = e.user; });
    row.querySelectorAll(".panel-user").forEach(function (s) { s.textContent = e.user; });
    row.querySelector(".panel-name").textContent = e.alias || e.user;
    $("p-alias").value = e.alias;
    $("p-group").value = e.group;
    fillPin(row, e);
  }

  function fillPin(row, e) {
    var pin = row.querySelector(".p-pin");
    pin.value = e.fav ? "unpin" : "pin";
    pin.textContent = e.fav ? "Unpin" : "Pin to the top";
  }

  function more(e) { return e.tr.querySelector("a.more"); }

  // openPanel opens e's panel (closing another's) and focuses field
  // ("group", "alias") or the panel's heading.
  function openPanel(e, field) {
    if (!panel || panel.entry !== e) {
      closePanel();
      var row = panelTpl.content.firstElementChild.cloneNode(true);
      e.tr.after(row);
      fillPanel(row, e);
      panel = {entry: e, row: row};
    }
    e.tr.classList.add("is-open");
    more(e).setAttribute("aria-expanded", "true");
    panel.row.hidden = e.tr.hidden;
    focusPanel(field);
  }

  function focusPanel(field) {
    var target = field === "group" ? $("p-group") : field === "alias" ? $("p-alias") : $("panel-h");
    reveal(panel.entry.tr);
    target.focus();
    if (target.select) {
      target.select();
    }
  }

  function reveal(tr) {
    if (tr.scrollIntoView) {
      tr.scrollIntoView({block: "nearest"});
    }
  }

  function closePanel() {
    if (!panel) {
      return;
    }
    panel.row.remove();
    panel.entry.tr.classList.remove("is-open");
    more(panel.entry).setAttribute("aria-expanded", "false");
    panel = null;
  }

  // A panel the server opened (the URL's ?org=) is the open panel.
  var served = $("panel-row");
  if (served) {
    var owner = served.previousElementSibling;
    var found = null;
    order.forEach(function (e) {
      if (e.tr === owner) {
        found = e;
      }
    });
    if (found) {
      panel = {entry: found, row: served};
      more(found).setAttribute("aria-expanded", "true");
      focusPanel(section.getAttribute("data-field"));
    } else {
      served.remove();
    }
  }

  // #org=USERNAME[&field=group] opens that org's panel.
  function fromHash() {
    var h = new URLSearchParams(location.hash.replace(/^#/, ""));
    var user = h.get("org");
    var e = user && byUser.get(user);
    if (e) {
      openPanel(e, h.get("field"));
    }
  }
  window.addEventListener("hashchange", fromHash);

  tbody.addEventListener("click", function (ev) {
    var t = ev.target;
    var tr = t.closest("tr");
    var e = tr && byUser.get(tr.cells[2] ? tr.cells[2].textContent : "");
    if (t.closest("a.more") && e) {
      ev.preventDefault();
      if (panel && panel.entry === e) {
        closePanel();
      } else {
        openPanel(e, "");
      }
      return;
    }
    if (t.closest("button.pin") && e) {
      send({kind: e.fav ? "unpin" : "pin", username: e.user}, notice, null);
      return;
    }
    if (t.closest("button.open") && e) {
      send({kind: "open", username: e.user, path: ""}, notice, "Opening " + (e.alias || e.user) + " in your browser…");
      return;
    }
    if (t.closest(".p-close") && panel) {
      var link = more(panel.entry);
      closePanel();
      link.focus();
      return;
    }
    if (t.closest(".p-cancel")) {
      var d = $("p-remove");
      d.open = false;
      d.querySelector("summary").focus();
    }
  });

  // The confirm step of Remove: opening it puts the focus on "Yes, remove".
  tbody.addEventListener("toggle", function (ev) {
    if (ev.target.id === "p-remove" && ev.target.open) {
      ev.target.querySelector("button.danger").focus();
    }
  }, true);

  tbody.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && panel && panel.row.contains(ev.target)) {
      var link = more(panel.entry);
      closePanel();
      link.focus();
    }
  });

  // ---- actions ----

  var DONE = {
    open: "Opening the page in your browser…",
    reconnect: "Reconnecting: finish signing in in your browser.",
    remove: "Removing the connection…",
    pin: "Pinned to the top.",
    unpin: "Unpinned.",
    alias: "Renamed.",
    group: "Group saved.",
    "reconnect-all": "Reconnecting, one after another: finish each sign-in in your browser.",
    "add-link": "Link added.",
    "remove-link": "Link removed."
  };

  function setMsg(el, kind, title, text) {
    if (!el) {
      return;
    }
    el.textContent = "";
    el.className = (el === notice ? "notice" : "field-msg") + (kind ? " is-" + kind : "");
    if (title) {
      var strong = document.createElement("strong");
      strong.textContent = title;
      el.appendChild(strong);
      el.appendChild(document.createTextNode(" "));
    }
    el.appendChild(document.createTextNode(text || ""));
  }

  // send posts action fields and shows the outcome in msg: the
  // diagnosis's title and advice, or ok (or DONE[kind]).
  function send(fields, msg, ok, form) {
    var input = form && form.querySelector('input[type="text"]');
    fetch(ACTION, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
        "X-CSRF-Token": csrf
      },
      body: new URLSearchParams(fields)
    })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.error) {
          setMsg(msg, "error", "", data.error);
          return;
        }
        if (!data.ok) {
          var d = data.diagnosis || {};
          setMsg(msg, "error", d.title, d.advice);
          if (input) {
            input.setAttribute("aria-invalid", "true");
          }
          return;
        }
        if (input) {
          input.removeAttribute("aria-invalid");
        }
        setMsg(msg, "ok", "", ok || DONE[fields.kind] || "Done.");
        done(fields, form);
        pollNow();
      })
      .catch(function () { stopped(); });
  }

  // done moves on after a successful action.
  function done(fields, form) {
    if (fields.kind === "remove" && panel) {
      var msg = notice;
      closePanel();
      setMsg(msg, "ok", "", "Removing " + fields.username + "…");
      q.focus();
    }
    if (fields.kind === "add-link" && form) {
      form.reset();
      $("link-name").focus();
    }
    if (fields.kind === "remove-link") {
      $("link-name").focus();
      setMsg($("add-link-msg"), "ok", "", DONE["remove-link"]);
    }
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.getAttribute("action") !== ACTION) {
      return;
    }
    ev.preventDefault();
    var fields = {};
    new FormData(form, ev.submitter || null).forEach(function (v, k) { fields[k] = v; });
    delete fields.csrf;
    if (!fields.kind) {
      return;
    }
    send(fields, form.querySelector(".field-msg") || notice, null, form);
  });

  // ---- polling ----

  var timer = 0;
  var inflight = false;
  var again = false;

  function schedule() {
    clearTimeout(timer);
    if (!document.hidden && !closed) {
      timer = setTimeout(poll, POLL_MS);
    }
  }

  function pollNow() {
    clearTimeout(timer);
    poll();
  }

  function poll() {
    if (closed) {
      return;
    }
    if (inflight) {
      again = true; // an action changed something since it asked
      return;
    }
    inflight = true;
    fetch("/orgs.json?since=" + encodeURIComponent(version), {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (r) {
        if (r.status === 204) {
          return null;
        }
        return r.json().then(function (data) {
          if (!r.ok) {
            throw new Error(data.error || r.statusText);
          }
          return data;
        });
      })
      .then(function (data) {
        inflight = false;
        if (data) {
          update(data);
        }
        if (again) {
          again = false;
          poll();
          return;
        }
        schedule();
      })
      .catch(function (err) {
        inflight = false;
        stopped(err && err.message);
      });
  }

  function stopped(why) {
    closed = true;
    clearTimeout(timer);
    setMsg(notice, "error", "", why && why !== "Failed to fetch" ? why : CLOSED);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      clearTimeout(timer); // a tab left in the background lets the page close when idle
    } else {
      pollNow();
    }
  });

  var lastLinks = "";
  var lastGroups = "";
  var lastCats = "";

  function update(data) {
    version = String(data.version);
    section.setAttribute("data-version", version);
    var seen = new Set();
    var next = [];
    data.orgs.forEach(function (o) {
      var e = byUser.get(o.username);
      if (!e) {
        e = {tr: rowTpl.content.firstElementChild.cloneNode(true), user: o.username, sig: ""};
        byUser.set(o.username, e);
      }
      var sig = JSON.stringify(o);
      if (e.sig !== sig) {
        fill(e.tr, o);
        e.sig = sig;
        e.alias = o.alias;
        index(e);
      }
      seen.add(o.username);
      next.push(e);
    });
    byUser.forEach(function (e, user) {
      if (!seen.has(user)) {
        if (panel && panel.entry === e) {
          closePanel();
        }
        e.tr.remove();
        byUser.delete(user);
      }
    });
    order = next;
    if (panel) {
      fillPin(panel.row, panel.entry);
      panel.row.querySelector(".panel-name").textContent = panel.entry.alias || panel.entry.user;
    }
    place();

    var links = JSON.stringify([data.standard_links, data.links]);
    if (links !== lastLinks) {
      showLinks(data);
      lastLinks = links;
    }
    var groups = JSON.stringify(data.groups);
    if (groups !== lastGroups) {
      showGroups(data.groups);
      lastGroups = groups;
    }
    var cats = JSON.stringify(data.categories);
    if (cats !== lastCats) {
      options(fCat, 1, data.categories);
      lastCats = cats;
    }
    filter();

    var need = data.need_reconnect;
    $("need").textContent = String(need);
    $("reconnect-all").disabled = need === 0;
    var queue = "";
    if (data.sign_in) {
      queue += "Signing in to " + data.sign_in + ". ";
    }
    if (data.queued) {
      queue += data.queued + " queued.";
    }
    if ($("queue").textContent !== queue.trim()) {
      $("queue").textContent = queue.trim();
    }
  }

  // options replaces select's options after the first keep with values,
  // keeping its choice when it is still there.
  function options(select, keep, values) {
    var was = select.value;
    while (select.options.length > keep) {
      select.remove(keep);
    }
    values.forEach(function (v) { select.add(new Option(v, v)); });
    select.value = was;
    if (select.value !== was) {
      select.value = "*";
    }
  }

  function showGroups(groups) {
    options(fGroup, 2, groups);
    var dl = $("groups");
    dl.textContent = "";
    groups.forEach(function (g) {
      var o = document.createElement("option");
      o.value = g;
      dl.appendChild(o);
    });
  }

  function linkOptions(select, data) {
    var was = select.value;
    select.textContent = "";
    data.standard_links.forEach(function (l) { select.add(new Option(l.name, l.path)); });
    if (data.links.length) {
      var og = document.createElement("optgroup");
      og.label = "Your links";
      data.links.forEach(function (l) { og.appendChild(new Option(l.name, l.path)); });
      select.appendChild(og);
    }
    select.value = was;
    if (select.selectedIndex < 0) {
      select.selectedIndex = 0;
    }
  }

  function showLinks(data) {
    linkOptions(panelTpl.content.querySelector("select"), data);
    if (panel) {
      linkOptions($("p-link"), data);
    }
    var list = $("link-list");
    list.textContent = "";
    data.links.forEach(function (l) {
      var li = linkTpl.content.firstElementChild.cloneNode(true);
      li.querySelectorAll(".link-name").forEach(function (s) { s.textContent = l.name; });
      li.querySelector(".link-path").textContent = l.path;
      li.querySelector('input[name="path"]').value = l.path;
      list.appendChild(li);
    });
  }

  filter();
  if (!served) {
    fromHash();
  }
  schedule();
})();
