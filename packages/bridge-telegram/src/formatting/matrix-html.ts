// Runs → Matrix HTML, for what Telegram users wrote. Every character of text is escaped; only the tags written here
// reach Matrix, with links limited to web and mail addresses.

import { escapeHtml, type Mark, type Run, renderRuns } from "./rich-text.ts";

function open(mark: Mark): string {
  switch (mark.kind) {
    case "bold":
      return "<b>";
    case "italic":
      return "<i>";
    case "underline":
      return "<u>";
    case "strike":
      return "<del>";
    case "spoiler":
      return "<span data-mx-spoiler>";
    case "code":
      return "<code>";
    case "blockquote":
      return "<blockquote>";
    case "pre":
      return mark.language !== undefined && /^[A-Za-z0-9_+#.-]{1,40}$/.test(mark.language)
        ? `<pre><code class="language-${mark.language}">`
        : "<pre><code>";
    case "link":
      return `<a href="${escapeHtml(mark.href)}">`;
  }
}

function close(mark: Mark): string {
  switch (mark.kind) {
    case "bold":
      return "</b>";
    case "italic":
      return "</i>";
    case "underline":
      return "</u>";
    case "strike":
      return "</del>";
    case "spoiler":
      return "</span>";
    case "code":
      return "</code>";
    case "blockquote":
      return "</blockquote>";
    case "pre":
      return "</code></pre>";
    case "link":
      return "</a>";
  }
}

export function runsToMatrixHtml(runs: readonly Run[]): string {
  return renderRuns(runs, {
    open,
    close,
    // Line breaks are text inside a code block and <br> everywhere else.
    text: (text, marks) =>
      marks.some((m) => m.kind === "pre") ? escapeHtml(text) : escapeHtml(text).replace(/\r?\n/g, "<br>"),
  });
}
