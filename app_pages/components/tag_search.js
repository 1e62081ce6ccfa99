// promptlab's tag search box (a Streamlit v2 component, rendered in the page itself, no iframe).
//
// Typing asks the app server's search endpoint directly (GET <endpoint>?q=..): one small HTTP
// request per keystroke, no script rerun, stale answers dropped. Where the endpoint is not served
// (plain `streamlit run app.py`), the query goes to Python as component state and the fragment
// answers with data.results. Picking a suggestion (click, Enter, Tab) sends a "picked" trigger;
// Shift+Enter (or Enter with no suggestion) sends the text as typed as a "typed" trigger.
//
// Streamlit calls this function again whenever the data changes; the DOM built on the first call
// is kept (typing, focus and the open list survive reruns).
export default function (component) {
  const { parentElement } = component;
  const data = Array.isArray(component.data) ? component.data[0] : component.data;
  let box = parentElement.__plTagSearch;
  if (!box) {
    box = parentElement.__plTagSearch = createBox(parentElement);
  }
  box.component = component;
  box.update(data || {});
}

function createBox(root) {
  const uid = "pl-ts-" + Math.random().toString(36).slice(2, 9);
  const wrap = document.createElement("div");
  wrap.className = "pl-ts";
  const label = document.createElement("label");
  label.className = "pl-ts-label";
  label.htmlFor = uid + "-input";
  const input = document.createElement("input");
  input.id = uid + "-input";
  input.type = "text";
  input.className = "pl-ts-input";
  input.autocomplete = "off";
  input.spellcheck = false;
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", uid + "-list");
  const list = document.createElement("ul");
  list.id = uid + "-list";
  list.className = "pl-ts-list";
  list.setAttribute("role", "listbox");
  list.hidden = true;
  const note = document.createElement("div");
  note.className = "pl-ts-note";
  note.hidden = true;
  wrap.append(label, input, list, note);
  root.appendChild(wrap);

  const box = {
    component: null,
    data: {},
    mode: null,          // "http" or "state"
    seq: 0,              // number of the latest query sent
    query: "",           // the query the shown list answers
    items: [],
    active: -1,
    composing: false,
    controller: null,
    retry: null,
    lastCats: null,
  };

  function setNote(text) {
    note.textContent = text || "";
    note.hidden = !text;
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function render(query, items) {
    box.query = query;
    box.items = items;
    box.active = items.length ? 0 : -1;
    list.replaceChildren(...items.map((item, i) => {
      const li = document.createElement("li");
      li.id = `${uid}-option-${i}`;
      li.className = "pl-ts-option";
      li.setAttribute("role", "option");
      li.dataset.name = item.name;
      li.textContent = item.label;   // text, never HTML: tag names come from imported files
      return li;
    }));
    highlight();
    list.hidden = !(items.length && focused());
    input.setAttribute("aria-expanded", String(!list.hidden));
  }

  function focused() {
    // in a shadow root, document.activeElement is the host: ask the root first
    return (root.activeElement || document.activeElement) === input;
  }

  function highlight() {
    if (box.active < 0) input.removeAttribute("aria-activedescendant");
    list.querySelectorAll(".pl-ts-option").forEach((li, i) => {
      const on = i === box.active;
      li.classList.toggle("active", on);
      li.setAttribute("aria-selected", String(on));
      if (on) {
        input.setAttribute("aria-activedescendant", li.id);
        li.scrollIntoView({ block: "nearest" });
      }
    });
  }

  function currentQuery() {
    return input.value.trim();
  }

  function sendState(query) {
    box.component.setStateValue("query", query);
  }

  async function ask() {
    clearTimeout(box.retry);
    const query = currentQuery();
    const seq = ++box.seq;
    if (box.controller) box.controller.abort();
    box.controller = null;
    if (!query) {
      render("", []);
      setNote("");
      if (box.mode === "state") sendState("");
      return;
    }
    if (box.mode !== "http") {
      sendState(query);
      return;
    }
    const url = new URL(box.data.endpoint, window.location.href);
    url.searchParams.set("q", query);
    url.searchParams.set("lang", box.data.lang || "en");
    url.searchParams.set("limit", String(box.data.limit || 12));
    if (box.data.categories && box.data.categories.length) url.searchParams.set("cats", box.data.categories.join(","));
    const controller = (box.controller = new AbortController());
    let answer;
    try {
      const response = await fetch(url, { signal: controller.signal, headers: { Accept: "application/json" } });
      if (response.status === 404) throw new Error("no endpoint");
      answer = await response.json();
    } catch (err) {
      if (err.name === "AbortError") return;
      if (seq !== box.seq) return;
      // No endpoint here (plain `streamlit run app.py`) or the server went away: ask through Streamlit.
      box.mode = "state";
      sendState(query);
      return;
    }
    if (seq !== box.seq) return;  // a newer keystroke is on its way
    if (answer.error) {
      render(query, []);
      setNote(answer.error);
      return;
    }
    render(query, answer.items || []);
    if (answer.ready === false) {
      setNote(box.data.indexingText || "");
      box.retry = setTimeout(ask, 500);  // the search index is still being built: ask again soon
    } else {
      setNote("");
    }
  }

  function pick(name, typed) {
    if (!name) return;
    box.seq++;
    if (box.controller) box.controller.abort();
    input.value = "";
    render("", []);
    close();
    setNote("");
    if (box.mode === "state") sendState("");
    // a suggestion is a tag name; text entered without a suggestion is added as typed
    box.component.setTriggerValue(typed ? "typed" : "picked", name);
  }

  input.addEventListener("compositionstart", () => { box.composing = true; });
  input.addEventListener("compositionend", () => { box.composing = false; ask(); });
  input.addEventListener("input", (event) => {
    if (box.composing || event.isComposing) return;  // an IME is still composing a Chinese word
    ask();
  });
  input.addEventListener("focus", () => {
    if (box.items.length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
  });
  input.addEventListener("blur", () => setTimeout(() => {
    if (!focused()) close();
  }, 150));
  input.addEventListener("keydown", (event) => {
    if (event.isComposing || box.composing) return;
    const n = box.items.length;
    if (event.key === "ArrowDown" && n) {
      box.active = (box.active + 1) % n;
      list.hidden = false;
      highlight();
      event.preventDefault();
    } else if (event.key === "ArrowUp" && n) {
      box.active = (box.active - 1 + n) % n;
      highlight();
      event.preventDefault();
    } else if (event.key === "Enter" || (event.key === "Tab" && n && !list.hidden)) {
      const typed = currentQuery();
      // the highlighted suggestion when it answers what is typed now, else (or with Shift+Enter)
      // the text as typed, e.g. "(masterpiece:1.2)" or a LoRA tag
      const fresh = n && box.query === typed && !list.hidden && !(event.key === "Enter" && event.shiftKey);
      const name = fresh ? box.items[Math.max(box.active, 0)].name : typed;
      if (name) {
        pick(name, !fresh);
        event.preventDefault();
      }
    } else if (event.key === "Escape") {
      close();
    }
  });
  list.addEventListener("mousedown", (event) => event.preventDefault());  // keep the focus in the box
  list.addEventListener("click", (event) => {
    const li = event.target.closest(".pl-ts-option");
    if (li) pick(li.dataset.name);
  });
  list.addEventListener("mousemove", (event) => {
    const li = event.target.closest(".pl-ts-option");
    if (!li) return;
    const i = Array.prototype.indexOf.call(list.children, li);
    if (i !== box.active) {
      box.active = i;
      highlight();
    }
  });

  box.update = (data) => {
    box.data = data;
    if (box.mode === null) box.mode = data.endpoint ? "http" : "state";
    label.textContent = data.label || "";
    input.placeholder = data.placeholder || "";
    input.setAttribute("aria-label", data.label || "");
    const cats = JSON.stringify(data.categories || []);
    const catsChanged = box.lastCats !== null && cats !== box.lastCats;
    box.lastCats = cats;
    if (box.mode === "state") {
      const results = data.results;
      if (results && results.query === currentQuery()) {
        render(results.query, results.items || []);
        setNote(results.error || (results.ready === false ? data.indexingText || "" : ""));
      }
    }
    if (catsChanged && currentQuery()) ask();  // the category filter changed: the list follows it
  };
  return box;
}
