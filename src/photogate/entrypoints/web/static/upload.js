// The photo upload form: preview, caption counter, upload with a progress bar, plain-word errors.
"use strict";

(function () {
  var form = document.getElementById("upload-form");
  if (!form) {
    return;
  }
  var fileInput = document.getElementById("file");
  var preview = document.getElementById("preview");
  var caption = document.getElementById("caption");
  var counter = document.getElementById("caption-count");
  var errorBox = document.getElementById("form-error");
  var statusBox = document.getElementById("upload-status");
  var progress = document.getElementById("upload-progress");
  var progressText = document.getElementById("upload-progress-text");
  var submit = document.getElementById("upload-submit");
  var maxBytes = Number(form.getAttribute("data-max-bytes"));
  var maxMib = form.getAttribute("data-max-mib");
  var maxCaption = Number(form.getAttribute("data-max-caption"));
  var previewUrl = null;

  // Which field each refusal is about, and words for the few codes whose API detail names
  // fields as an API client knows them: [field id or null, words or null]. Rendered by the
  // page from the table the server uses itself; any other refusal shows the server's detail.
  var ERRORS = JSON.parse(form.getAttribute("data-errors") || "{}");
  var FALLBACK = "Something went wrong. Please try again.";

  function updateCounter() {
    counter.textContent = caption.value.length + " / " + maxCaption + " characters";
    counter.classList.toggle("counter-over", caption.value.length > maxCaption);
  }

  function showPreview() {
    if (previewUrl) {
      URL.revokeObjectURL(previewUrl);
      previewUrl = null;
    }
    var file = fileInput.files && fileInput.files[0];
    if (!file || file.type.indexOf("image/") !== 0) {
      preview.hidden = true;
      return;
    }
    previewUrl = URL.createObjectURL(file);
    preview.src = previewUrl;
    preview.hidden = false;
  }

  function clearErrors() {
    errorBox.hidden = true;
    errorBox.textContent = "";
    form.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-errormessage");
    });
  }

  function mib(bytes) {
    // Rounded up, so a file just over the limit never reads as the limit itself.
    return String(Math.ceil((bytes / (1024 * 1024)) * 10) / 10);
  }

  function showError(code, detail) {
    var known = (code && ERRORS[code]) || [null, null];
    var fieldId = known[0];
    errorBox.textContent = known[1] || detail || FALLBACK;
    errorBox.setAttribute("data-code", code || "");
    errorBox.hidden = false;
    var field = fieldId ? document.getElementById(fieldId) : null;
    if (field) {
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-errormessage", "form-error");
    }
    errorBox.focus();
  }

  function setProgress(percent) {
    progress.value = percent;
    progress.textContent = percent + "%";
    progressText.textContent = percent + "%";
  }

  function finish(xhr) {
    var body = parsed(xhr);
    // 200: the same photo was sent before; its status page is the answer.
    if ((xhr.status === 202 || xhr.status === 200) && body && body.page_url) {
      progressText.textContent = body.duplicate
        ? "You already sent this photo. Opening its status page…"
        : "Uploaded. Opening your photo's status page…";
      window.location.assign(body.page_url);
      return;
    }
    failed(body && body.error, body && body.detail);
  }

  function failed(code, detail) {
    statusBox.hidden = true;
    submit.disabled = false;
    showError(code, detail);
  }

  function lostConnection() {
    failed(null, "The upload did not get through. Please check your connection and try again.");
  }

  // One request with progress; `done` gets the finished request.
  function request(method, url, headers, body, done) {
    var xhr = new XMLHttpRequest();
    xhr.open(method, url);
    Object.keys(headers).forEach(function (name) {
      xhr.setRequestHeader(name, headers[name]);
    });
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        setProgress(Math.round((event.loaded / event.total) * 100));
      }
    });
    xhr.addEventListener("load", function () { done(xhr); });
    xhr.addEventListener("error", lostConnection);
    xhr.send(body);
  }

  function parsed(xhr) {
    try {
      return JSON.parse(xhr.responseText);
    } catch (ignored) {
      return null;
    }
  }

  function sendMultipart() {
    request("POST", form.getAttribute("data-api"), { Accept: "application/json" }, new FormData(form), finish);
  }

  // Direct upload (valet key): ask for an upload URL, PUT the file there, then say it is sent.
  function sendDirect(file) {
    var fields = {
      email: form.elements.email.value,
      display_name: form.elements.display_name.value,
      caption: form.elements.caption.value,
      consent: form.elements.consent.checked,
      licence_version: form.elements.licence_version ? form.elements.licence_version.value : "",
      size_bytes: file.size
    };
    var json = { Accept: "application/json", "Content-Type": "application/json" };
    request("POST", form.getAttribute("data-direct-upload"), json, JSON.stringify(fields), function (started) {
      var grant = parsed(started);
      if (started.status !== 201 || !grant || !grant.upload_url) {
        failed(grant && grant.error, grant && grant.detail);
        return;
      }
      var headers = Object.assign({ "Content-Type": file.type || "application/octet-stream" }, grant.upload_headers);
      request(grant.upload_method || "PUT", grant.upload_url, headers, file, function (put) {
        if (put.status !== 201) {
          lostConnection();
          return;
        }
        progressText.textContent = "Checking your photo…";
        request("POST", grant.complete_url, { Accept: "application/json" }, null, finish);
      });
    });
  }

  function send(file) {
    setProgress(0);
    statusBox.hidden = false;
    submit.disabled = true;
    if (form.hasAttribute("data-direct-upload")) {
      sendDirect(file);
    } else {
      sendMultipart();
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    var file = fileInput.files && fileInput.files[0];
    if (!file) {
      showError("file_required");
      return;
    }
    if (file.size > maxBytes) {
      showError("file_too_large", "That photo is " + mib(file.size) + " MiB, over the " + maxMib +
        " MiB limit. Please choose a smaller one.");
      return;
    }
    send(file);
  });
  fileInput.addEventListener("change", showPreview);
  caption.addEventListener("input", updateCounter);
  updateCounter();
})();
