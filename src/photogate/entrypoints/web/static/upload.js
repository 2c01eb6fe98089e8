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

  // What to say, and which field to point at, for each error code the API answers with.
  var MESSAGES = {
    file_required: ["file", "Please choose a photo to upload."],
    empty_file: ["file", "That file is empty. Please choose a photo."],
    file_too_large: ["file", "That photo is larger than " + maxMib + " MiB. Please choose a smaller one."],
    image_too_large: ["file", "That photo has too many pixels. Please choose a smaller one."],
    image_too_small: ["file", "That photo is too small. Please choose a larger one."],
    unsupported_type: ["file", "That file is not a photo we can use. Please choose a JPEG, PNG, WebP or HEIC photo."],
    animated_image: ["file", "Animated images cannot be shown. Please choose a still photo."],
    corrupt_image: ["file", "That photo seems damaged and could not be opened. Please try another one."],
    invalid_email: ["email", "Please enter a valid email address, like name@example.com."],
    display_name_required: ["display_name", "Please enter the name to show with your photo."],
    display_name_too_long: ["display_name", "That name is too long. Please shorten it."],
    caption_too_long: ["caption", "The caption is too long. Please shorten it to " + maxCaption + " characters."],
    consent_required: ["consent", "Please tick the box to accept the photo licence, so we may show your photo."],
    unknown_product: [null, "This product is no longer available."],
    already_sent: ["file", "You already sent this photo for this product. Thank you!"],
    already_sent_by_someone_else: ["file", "This photo was already sent for this product by someone else."],
    upload_not_arrived: [null, "Your photo did not arrive. Please try again."],
    unavailable: [null, "The shop is busy right now. Please try again in a minute."]
  };

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
    });
  }

  function showError(code, detail) {
    var known = MESSAGES[code];
    var fieldId = known ? known[0] : null;
    errorBox.textContent = known ? known[1] : (detail || "Something went wrong. Please try again.");
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
    request("POST", form.getAttribute("action"), { Accept: "application/json" }, new FormData(form), finish);
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
      showError("file_too_large");
      return;
    }
    send(file);
  });
  fileInput.addEventListener("change", showPreview);
  caption.addEventListener("input", updateCounter);
  updateCounter();
})();
