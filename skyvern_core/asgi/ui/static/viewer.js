// The task viewer's only script: follow a running task over server-sent events.
// The server renders every fragment; this puts them in place.
(function () {
  "use strict";

  function fragment(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    return holder.content.firstElementChild;
  }

  function follow(live) {
    if (!window.EventSource) {
      return;
    }
    var source = new EventSource(live.getAttribute("data-events"));
    source.addEventListener("task", function (event) {
      var data = JSON.parse(event.data);
      var header = document.getElementById("task-header");
      if (header) {
        header.replaceWith(fragment(data.html));
      }
    });
    source.addEventListener("step", function (event) {
      var data = JSON.parse(event.data);
      var item = fragment(data.html);
      var old = document.getElementById(data.id);
      if (old) {
        old.replaceWith(item);
      } else {
        document.getElementById("timeline").appendChild(item);
        var none = document.getElementById("no-steps");
        if (none) {
          none.remove();
        }
      }
    });
    source.addEventListener("end", function () {
      source.close();
      live.textContent = "The task has ended; loading its results…";
      // The final screenshot, the recording and the extraction come with the full page.
      window.setTimeout(function () {
        window.location.reload();
      }, 300);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var live = document.getElementById("live");
    if (live) {
      follow(live);
    }
  });
})();
