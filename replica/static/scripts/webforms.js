/* The replica's WebResource.axd script: the WebForm_* functions bsMenu.aspx calls, with the meaning ASP.NET's
   WebForms.js gives them. The live resources are not reproduced; only what the page uses is here. */

function WebForm_PostBackOptions(eventTarget, eventArgument, validation, validationGroup, actionUrl, trackFocus, clientSubmit) {
    this.eventTarget = eventTarget;
    this.eventArgument = eventArgument;
    this.validation = validation;
    this.validationGroup = validationGroup;
    this.actionUrl = actionUrl;
    this.trackFocus = trackFocus;
    this.clientSubmit = clientSubmit;
}

function WebForm_DoPostBackWithOptions(options) {
    // The page has no validators, so unless Page_ClientValidate exists the submit goes ahead.
    var valid = true;
    if (options.validation && typeof Page_ClientValidate === "function") {
        valid = Page_ClientValidate(options.validationGroup);
    }
    if (valid) {
        if (options.actionUrl) {
            theForm.action = options.actionUrl;
        }
        if (options.trackFocus && theForm.elements["__LASTFOCUS"]) {
            var active = document.activeElement;
            if (active) {
                theForm.elements["__LASTFOCUS"].value = active.id || active.name || "";
            }
        }
    }
    if (options.clientSubmit) {
        __doPostBack(options.eventTarget, options.eventArgument);
    }
}

var __defaultFired = false;

function WebForm_FireDefaultButton(event, target) {
    // Enter anywhere in the form but a textarea clicks the default button, once.
    var source = event.target || event.srcElement;
    if (!__defaultFired && event.keyCode === 13 && !(source && source.tagName.toLowerCase() === "textarea")) {
        var button = document.getElementById(target);
        if (button && typeof button.click !== "undefined") {
            __defaultFired = true;
            button.click();
            event.cancelBubble = true;
            if (event.stopPropagation) {
                event.stopPropagation();
            }
            return false;
        }
    }
    return true;
}

function WebForm_AutoFocus(focusId) {
    // The live page asks for an element it does not have ('txtTASKNO'): a missing id does nothing.
    var target = document.getElementById(focusId);
    if (target && typeof target.focus === "function" && !target.disabled) {
        try {
            target.focus();
        } catch (error) {
            // Hidden or not focusable yet: ASP.NET ignores that too.
        }
    }
}
