// Client-side checks in the style of ASP.NET WebForms validators.
function $(id) { return document.getElementById("ctl00_MainContent_" + id); }
function initForm() {
  var radios = document.getElementsByName("ctl00$MainContent$rblLicenceType");
  for (var i = 0; i < radios.length; i++) {
    radios[i].onclick = function () { $("ddlDistrict").disabled = this.value !== "D"; };
  }
  $("txtEircode").onblur = function () { this.value = this.value.toUpperCase(); };
}
function openCalendar() { window.alert("Please type the date as dd/mm/yyyy."); }
function saveLater() { document.getElementById("msg").innerHTML = "<font color=\"green\">Your application has been saved. A link to resume has been e-mailed to you.</font>"; }
function validateForm() {
  var errs = [];
  if (!$("ddlTitle").value) errs.push("Title is required");
  if (!$("txtSurname").value) errs.push("Surname is required");
  if (!$("txtForename").value) errs.push("Forename is required");
  if (!$("txtEmail").value || $("txtEmail").value !== $("txtEmail2").value) errs.push("E-mail addresses must match");
  if (!$("chkDeclare").checked) errs.push("You must accept the declaration");
  if ($("txtCaptcha").value !== "7") errs.push("Security check answer is incorrect");
  document.getElementById("msg").innerHTML = errs.length ? "<font color=\"red\"><b>Please correct the following:</b><br>" + errs.join("<br>") + "</font>" : "<font color=\"green\">Application received.</font>";
  return false;
}
