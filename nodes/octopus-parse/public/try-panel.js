// @ts-check
/// <reference types="jquery" />
/**
 * The parse node's "Try a message" panel (issue #17), loaded by octopus-parse.html from the admin
 * route GET /octopus-parse/try-panel.js: the parser reads a pasted (or recently seen) message with
 * the settings as they are in the edit dialog, deployed or not (POST octopus-parse/try), and the
 * answer is listed under the form. Everything from the server is shown with .text(), never as HTML.
 */
// A classic script (not a module): Node-RED's editor loads it with a <script> tag beside its jQuery.
(function () {
  'use strict';

  /** @typedef {{ topic: string, payload: string, base64?: boolean, receivedAt: number }} RecentMessage */
  /** @typedef {{ deviceId: string, attribute: string, value: unknown, unit?: string, converted?: string }} TryReading */
  /**
   * An event the parser found besides readings (availability, device, deletion, command).
   * @typedef {{ kind: string, deviceId: string, state?: string, native?: string, command?: string, value?: unknown, reason?: string, name?: string, model?: string, firmware?: string }} TryEvent
   */
  /**
   * What POST octopus-parse/try answers in `result`.
   * @typedef {object} TryResult
   * @property {string} [profile]
   * @property {string} [template]
   * @property {TryReading[]} readings
   * @property {{ code: string, attribute?: string, reason: string }[]} rejects
   * @property {TryEvent[]} [availability]
   * @property {TryEvent[]} [devices]
   * @property {TryEvent[]} [deletions]
   * @property {TryEvent[]} [commands]
   * @property {{ attribute: string, reason: string }[]} [unread]
   * @property {string} [ignored]
   */

  /**
   * Fills the panel of the open edit dialog of `node`; `enabledProfiles()` gives the profiles as checked in the dialog.
   * @param {{ id: string }} node
   * @param {() => string[]} enabledProfiles
   */
  function open(node, enabledProfiles) {
    /** @type {RecentMessage[]} */
    var recent = [];
    var base64 = false;
    var $result = $('#octopus-try-result');
    /**
     * @param {string} cls
     * @param {string} text
     */
    function say(cls, text) {
      $('<div>').addClass(cls).text(text).appendTo($result);
    }
    $.getJSON('octopus-parse/' + encodeURIComponent(node.id) + '/recent')
      .done(function (/** @type {{ messages?: RecentMessage[], deployed: boolean }} */ data) {
        recent = data.messages || [];
        var $sel = $('#octopus-try-recent').empty();
        var first = !data.deployed ? 'this node is not deployed yet: no messages seen' : recent.length === 0 ? 'no message seen since the last deploy' : 'pick one of the last ' + recent.length + ' messages';
        $('<option value="">').text(first).appendTo($sel);
        recent.forEach(function (m, i) {
          $('<option>').attr('value', String(i)).text(new Date(m.receivedAt).toLocaleTimeString() + '  ' + m.topic).appendTo($sel);
        });
      })
      .fail(function (/** @type {JQuery.jqXHR} */ xhr) {
        $('#octopus-try-recent').empty().append($('<option value="">').text(xhr.status === 401 || xhr.status === 403 ? 'recent messages are for operators only' : 'recent messages unavailable (' + xhr.status + ')'));
      });
    $('#octopus-try-recent').on('change', function (e) {
      var picked = $(e.currentTarget).val();
      var m = recent[Number(picked)];
      if (!m || picked === '') return;
      $('#octopus-try-topic').val(m.topic);
      $('#octopus-try-payload').val(m.payload);
      base64 = !!m.base64;
    });
    $('#octopus-try-payload').on('input', function () { base64 = false; });
    $('#octopus-try-run').on('click', function (e) {
      e.preventDefault();
      $result.empty();
      say('octopus-try-busy', 'reading…');
      var body = {
        topic: $('#octopus-try-topic').val(),
        payload: $('#octopus-try-payload').val(),
        base64: base64,
        config: {
          maxPayloadBytes: $('#node-input-maxPayloadBytes').val(),
          site: $('#node-input-site').val(),
          maxLevelBytes: $('#node-input-maxLevelBytes').val(),
          profiles: enabledProfiles(),
          templates: $('#node-input-templates').val(),
          tasmotaFullTopic: $('#node-input-tasmotaFullTopic').val(),
          tasmotaPrefixes: $('#node-input-tasmotaPrefixes').val(),
        },
      };
      $.ajax({ url: 'octopus-parse/try', type: 'POST', contentType: 'application/json', data: JSON.stringify(body), dataType: 'json' })
        .done(function (/** @type {{ result: TryResult }} */ data) { show(data.result); })
        .fail(function (/** @type {JQuery.jqXHR} */ xhr) {
          $result.empty();
          var err = xhr.responseJSON && xhr.responseJSON.error;
          say('octopus-try-error', err ? err.message : 'the editor could not reach Node-RED (' + xhr.status + ')');
        });
    });
    /** @param {TryResult} r */
    function show(r) {
      $result.empty();
      var head = (r.profile ? 'profile ' + r.profile : 'Octopus format') + (r.template ? ', template ' + r.template : '');
      say('octopus-try-head', head + ': ' + r.readings.length + ' reading(s), ' + r.rejects.length + ' reject(s)');
      r.readings.forEach(function (x) {
        say('octopus-try-reading', '✔ ' + x.deviceId + '  ' + x.attribute + ' = ' + JSON.stringify(x.value) + (x.unit ? ' ' + x.unit : '') + (x.converted ? ' (' + x.converted + ')' : ''));
      });
      /** @type {TryEvent[]} */
      var events = [];
      events.concat(r.availability || [], r.devices || [], r.deletions || [], r.commands || []).forEach(function (ev) {
        var detail = ev.kind === 'availability' ? ev.state + ' (' + ev.native + ')' : ev.kind === 'command' ? ev.command + ' ' + JSON.stringify(ev.value) : ev.kind === 'deletion' ? ev.reason : [ev.name, ev.model, ev.firmware].filter(Boolean).join(', ');
        say('octopus-try-event', '↪ ' + ev.kind + '  ' + ev.deviceId + '  ' + detail);
      });
      r.rejects.forEach(function (x) {
        say('octopus-try-reject', '✖ ' + x.code + (x.attribute !== undefined ? ' [' + x.attribute + ']' : '') + ': ' + x.reason);
      });
      (r.unread || []).forEach(function (u) { say('octopus-try-unread', '· not read ' + u.attribute + ': ' + u.reason); });
      if (r.ignored) say('octopus-try-ignored', 'ignored: ' + r.ignored);
    }
  }

  window.OctopusParseTry = { open: open };
})();
