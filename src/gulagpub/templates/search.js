// The search page's script (templates/search.html): queries the site's
// Pagefind index — its shards for the page's language, merged — and shows
// the results. Without it the page says what to do instead; nothing else
// on the site needs a script. Every word shown comes from the form's data-
// attributes; results are built as text nodes, never as HTML. A classic
// script (deferred), not a module: browsers refuse modules from disk, and a
// preview opened from disk must still say why search is not there.
{
  const form = document.querySelector("form[data-bundles]");
  if (form) start(form);
}

function say(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, k) => values[k] ?? "");
}

async function start(form) {
  const words = form.dataset;
  const status = document.querySelector(".search-status");
  const list = document.querySelector(".search-results");
  const bundles = JSON.parse(words.bundles);
  if (location.protocol === "file:") {
    status.textContent = words.file;
    return;
  }
  if (!bundles.length) {
    status.textContent = words.empty;
    return;
  }
  let pagefind;
  try {
    pagefind = await import(new URL(bundles[0] + "pagefind.js", location.href).href);
    await pagefind.options({ basePath: bundles[0], baseUrl: words.root });
    for (const more of bundles.slice(1)) {
      await pagefind.mergeIndex(more, { language: words.lang, baseUrl: words.root });
    }
  } catch (error) {
    status.textContent = say(words.failed, { error: String(error) });
    return;
  }
  form.hidden = false;
  const input = form.querySelector("input");
  const dates = new Intl.DateTimeFormat(words.lang, { dateStyle: "long", timeZone: "UTC" });
  let latest = 0;

  async function run(query) {
    const mine = ++latest;
    if (!query.trim()) {
      status.textContent = "";
      list.replaceChildren();
      return;
    }
    status.textContent = words.searching;
    const found = await pagefind.search(query);
    const shown = await Promise.all(found.results.slice(0, 30).map((r) => r.data()));
    if (mine !== latest) return; // a newer query is under way
    list.replaceChildren(...shown.map((d) => row(d, dates)));
    const n = found.results.length;
    status.textContent = say(n === 0 ? words.none : words.found, { n, q: query });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const url = new URL(location.href);
    url.searchParams.set("q", input.value);
    history.replaceState(null, "", url);
    run(input.value);
  });
  let timer;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => run(input.value), 250);
  });
  const asked = new URLSearchParams(location.search).get("q");
  if (asked) {
    input.value = asked;
    run(asked);
  }
}

function row(data, dates) {
  const li = document.createElement("li");
  const article = li.appendChild(document.createElement("article"));
  const link = article.appendChild(document.createElement("h2")).appendChild(document.createElement("a"));
  link.href = data.url;
  link.textContent = data.meta.title || data.url;
  if (data.meta.date) {
    const time = article.appendChild(document.createElement("p")).appendChild(document.createElement("time"));
    time.parentNode.className = "meta";
    time.dateTime = data.meta.date;
    time.textContent = dates.format(new Date(data.meta.date + "T00:00:00Z"));
  }
  excerpt(article.appendChild(document.createElement("p")), data.excerpt);
  return li;
}

// Pagefind's excerpt is text with <mark> around the words found: parsed
// into an inert document and copied as text, the marks kept.
function excerpt(into, html) {
  const parsed = new DOMParser().parseFromString(html, "text/html").body;
  for (const node of parsed.childNodes) {
    if (node.nodeName === "MARK") {
      into.appendChild(document.createElement("mark")).textContent = node.textContent;
    } else {
      into.appendChild(document.createTextNode(node.textContent));
    }
  }
}
