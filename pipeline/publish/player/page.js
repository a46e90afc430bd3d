/* The web package's player page (pipeline/publish/page.py writes the HTML it runs on).
 *
 * video.js plays the HLS master from the package folder; its subtitles are drawn by video.js itself
 * (not the browser's native tracks) so the caption style dialog works and every browser shows the
 * Vietnamese diacritics the same way. Keys work whether the player or the page has focus; the
 * transcript beside the player follows the picture and seeks when a line is chosen. `?embed` shows the
 * player alone, for the iframe in embed.html.
 */
(function () {
  "use strict";
  var videojs = window.videojs;
  var root = document.documentElement;
  if (/(^|&)embed(=|&|$)/.test(window.location.search.slice(1))) root.classList.add("embed");

  // vi.js leaves these in English in video.js 8.24.1 (the caption style dialog's and the newer buttons'),
  // and calls "Opaque" "Mờ" (faded), the opposite of what the setting does
  videojs.addLanguage("vi", {
    "Color": "Màu",
    "Opacity": "Độ trong",
    "Opaque": "Đục",
    "None": "Không",
    "Raised": "Nổi",
    "Depressed": "Chìm",
    "Uniform": "Viền đều",
    "Proportional Sans-Serif": "Không chân, rộng theo chữ",
    "Monospace Sans-Serif": "Không chân, rộng đều",
    "Proportional Serif": "Có chân, rộng theo chữ",
    "Monospace Serif": "Có chân, rộng đều",
    "Casual": "Thân mật",
    "Script": "Viết tay",
    "Small Caps": "Chữ hoa nhỏ",
    "Text Background": "Nền chữ",
    "Caption Area Background": "Nền vùng phụ đề",
    "Drop shadow": "Bóng đổ",
    "Picture-in-Picture": "Hình trong hình",
    "Exit Picture-in-Picture": "Thoát hình trong hình",
    "Playing in Picture-in-Picture": "Đang phát trong khung hình nhỏ",
    "No content": "Không có nội dung",
    "{1} is loading.": "Đang tải {1}.",
    "Skip backward {1} seconds": "Lùi {1} giây",
    "Skip forward {1} seconds": "Tới {1} giây",
    // the menu shows labels as written (page.css), so these two begin with a capital like the languages
    "subtitles off": "Tắt phụ đề",
    "subtitles settings": "Cài đặt phụ đề"
  });

  var announce = document.createElement("p");
  announce.className = "sr-only";
  announce.setAttribute("aria-live", "polite");
  document.body.appendChild(announce);

  var STEP = 5;
  var lastLanguage = "vi";

  function subtitleTracks() {
    var list = player.textTracks(), found = [];
    for (var i = 0; i < list.length; i++) {
      if (list[i].kind === "subtitles" || list[i].kind === "captions") found.push(list[i]);
    }
    return found;
  }

  function showing() {
    var tracks = subtitleTracks();
    for (var i = 0; i < tracks.length; i++) if (tracks[i].mode === "showing") return tracks[i];
    return null;
  }

  function toggleSubtitles() {
    var current = showing(), tracks = subtitleTracks();
    if (current) {
      lastLanguage = current.language || lastLanguage;
      current.mode = "disabled";
      announce.textContent = "Phụ đề: tắt";
      return;
    }
    for (var i = 0; i < tracks.length; i++) {
      if (tracks[i].language === lastLanguage) {
        tracks[i].mode = "showing";
        announce.textContent = "Phụ đề: " + tracks[i].label;
        return;
      }
    }
  }

  function play() {
    var started = player.play();
    if (started && started.catch) started.catch(function () { /* the browser wants a click first */ });
  }

  function seekTo(seconds) {
    var end = player.duration();
    if (isFinite(end) && end > 0) seconds = Math.min(seconds, end - 0.05);
    player.currentTime(Math.max(0, seconds));
  }

  /* One handler for the player's keys and the page's: true when the key was ours. */
  function hotkey(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return false;
    switch (event.key) {
      case " ": case "k": case "K":
        if (player.paused()) play(); else player.pause();
        break;
      case "ArrowLeft": seekTo(player.currentTime() - STEP); break;
      case "ArrowRight": seekTo(player.currentTime() + STEP); break;
      case "ArrowUp": player.muted(false); player.volume(Math.min(1, player.volume() + 0.1)); break;
      case "ArrowDown": player.volume(Math.max(0, player.volume() - 0.1)); break;
      case "f": case "F":
        if (player.isFullscreen()) player.exitFullscreen(); else player.requestFullscreen();
        break;
      case "m": case "M": player.muted(!player.muted()); break;
      case "c": case "C": toggleSubtitles(); break;
      default: return false;
    }
    event.preventDefault();
    return true;
  }

  var player = videojs("player", {
    language: "vi",
    fluid: !root.classList.contains("embed"),
    fill: root.classList.contains("embed"),
    playbackRates: [0.75, 1, 1.25, 1.5],
    html5: {
      nativeTextTracks: false,
      nativeAudioTracks: false,
      nativeVideoTracks: false,
      vhs: { overrideNative: true }
    },
    userActions: { hotkeys: function (event) { hotkey(event); } }
  });

  // keys typed while the page itself has focus (nothing chosen yet, or after a click on the text)
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target instanceof Element) {
      if (player.el().contains(target) || target.isContentEditable) return;
      if (target.closest("a, button, input, select, textarea, [role='tab']")) return;
    }
    hotkey(event);
  });

  /* The transcript: tabs for the two languages, lines that seek, the current line marked. */
  var tabs = Array.prototype.slice.call(document.querySelectorAll(".transcript [role='tab']"));
  var panels = {};
  var lines = {};
  tabs.forEach(function (tab) {
    var lang = tab.getAttribute("data-lang");
    panels[lang] = document.getElementById(tab.getAttribute("aria-controls"));
    lines[lang] = Array.prototype.slice.call(panels[lang].querySelectorAll("button.line")).map(function (b) {
      return { button: b, t: parseFloat(b.getAttribute("data-t")) };
    });
  });

  function selectTab(lang, focus) {
    tabs.forEach(function (tab) {
      var on = tab.getAttribute("data-lang") === lang;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      panels[tab.getAttribute("data-lang")].hidden = !on;
      if (on && focus) tab.focus();
    });
    markCurrent();
  }

  if (tabs.length) {
    document.querySelector(".transcript .tabs").hidden = false;
    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function () { selectTab(tab.getAttribute("data-lang"), false); });
      tab.addEventListener("keydown", function (event) {
        if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
        var next = tabs[(i + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
        selectTab(next.getAttribute("data-lang"), true);
        event.preventDefault();
      });
    });
    selectTab("vi", false);
  }

  document.querySelectorAll(".transcript button.line").forEach(function (button) {
    button.addEventListener("click", function () {
      seekTo(parseFloat(button.getAttribute("data-t")));
      play();
    });
  });

  function markCurrent() {
    var now = player.currentTime() + 0.01;
    Object.keys(lines).forEach(function (lang) {
      var list = lines[lang], current = -1;
      for (var i = 0; i < list.length && list[i].t <= now; i++) current = i;
      list.forEach(function (line, k) {
        var on = k === current;
        if (on !== line.button.classList.contains("current")) {
          line.button.classList.toggle("current", on);
          if (on) line.button.setAttribute("aria-current", "true"); else line.button.removeAttribute("aria-current");
        }
      });
      var panel = panels[lang];
      if (current < 0 || panel.hidden || panel.contains(document.activeElement) || panel.matches(":hover")) return;
      var el = list[current].button, top = el.offsetTop;  // the list is the buttons' offset parent
      // only the list scrolls: the page under a phone viewer's thumb stays where it is
      if (top < panel.scrollTop || top + el.offsetHeight > panel.scrollTop + panel.clientHeight) {
        panel.scrollTop = Math.max(0, top - panel.clientHeight / 3);
      }
    });
  }

  player.on("timeupdate", markCurrent);
  player.on("seeked", markCurrent);

  /* One track per language. The page names the whole WebVTT files as <track>s (the progressive MP4
   * and a browser without MSE need them), and video.js's HLS engine adds the master's own subtitle
   * renditions (segmented, the same cues) as more tracks: the menu would list each language twice.
   * The whole files stay (they load once and show at once after a seek); the engine's duplicates go. */
  function dropDuplicateTracks() {
    var list = player.remoteTextTracks(), whole = {}, i;
    for (i = 0; i < list.length; i++) if (list[i].src) whole[list[i].language] = true;
    for (i = list.length - 1; i >= 0; i--) {
      var track = list[i];
      if (!track.src && whole[track.language] && (track.kind === "subtitles" || track.kind === "captions")) {
        player.removeRemoteTextTrack(track);
      }
    }
  }
  player.textTracks().addEventListener("addtrack", function () { window.setTimeout(dropDuplicateTracks, 0); });
  player.on("loadedmetadata", dropDuplicateTracks);

  // the subtitles chosen in the player choose the transcript's language too
  player.textTracks().addEventListener("change", function () {
    var track = showing();
    if (track && panels[track.language]) {
      lastLanguage = track.language;
      if (panels[track.language].hidden) selectTab(track.language, false);
    }
  });

  /* Beside the player on a wide screen the transcript is exactly as tall as the picture. */
  var aside = document.querySelector(".transcript");
  var wide = window.matchMedia("(min-width: 800px)");
  function fitTranscript() {
    if (!aside) return;
    aside.style.height = wide.matches && !root.classList.contains("embed") ? player.el().offsetHeight + "px" : "";
  }
  if (window.ResizeObserver) new window.ResizeObserver(fitTranscript).observe(player.el());
  player.ready(function () {
    fitTranscript();
    document.body.setAttribute("data-ready", "1");
  });
})();
