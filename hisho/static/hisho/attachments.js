// Attaching a file on the errand page (attachments/errand_attachments.html) with a
// progress bar. Progressive enhancement: without this file the form posts and the page
// reloads. With it, the file goes to the API (POST …/attachments, the session cookie and
// CSRF token) through XMLHttpRequest, whose upload events give the progress; the page
// reloads once the file is in. Text is only ever inserted with textContent.
(function () {
  "use strict";

  var form = document.querySelector("form[data-upload]");
  if (!form || !window.XMLHttpRequest || !window.FormData) {
    return;
  }
  var input = form.querySelector("input[type=file]");
  var button = form.querySelector("button[type=submit]");
  var progress = form.querySelector("[data-upload-progress]");
  var status = form.querySelector("[data-upload-status]");
  var data = form.dataset;
  var maxBytes = parseInt(data.maxBytes || "0", 10) || 0;

  function say(text) {
    status.textContent = text || "";
    status.hidden = !text;
  }

  function problemText(xhr) {
    try {
      var problem = JSON.parse(xhr.responseText);
      if (problem.errors && problem.errors.length && problem.errors[0].message) {
        return problem.errors[0].message;
      }
      if (problem.detail) {
        return problem.detail;
      }
    } catch (e) {
      // not JSON: fall through
    }
    return data.textFailed;
  }

  function done() {
    button.disabled = false;
    progress.hidden = true;
  }

  form.addEventListener("submit", function (event) {
    var file = input.files && input.files[0];
    if (!file) {
      return; // the browser's own "required" message
    }
    event.preventDefault();
    if (maxBytes && file.size > maxBytes) {
      say(data.textTooLarge);
      return;
    }
    var body = new FormData();
    body.append("file", file);
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", data.uploadUrl);
    xhr.setRequestHeader("X-CSRFToken", token ? token.value : "");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) {
        return;
      }
      var percent = Math.round((e.loaded / e.total) * 100);
      progress.value = percent;
      say(percent < 100 ? data.textSending + " " + percent + "%" : data.textChecking);
    });
    xhr.addEventListener("load", function () {
      if (xhr.status === 201) {
        window.location.reload();
        return;
      }
      done();
      say(problemText(xhr));
    });
    xhr.addEventListener("error", function () {
      done();
      say(data.textFailed);
    });
    button.disabled = true;
    progress.value = 0;
    progress.hidden = false;
    say(data.textSending);
    xhr.send(body);
  });
})();
