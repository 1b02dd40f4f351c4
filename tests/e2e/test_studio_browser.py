"""The studio in a real browser: Debian's headless chromium (selenium) against a real server clicks
generate -> preview -> pick -> download -> paste into a copy of a fixture world; the download is read
back with mcgen's reader and with litemapy, and the pasted blocks straight from the region files.

Skipped with a message when chromium, chromedriver or selenium is missing (``.ci/run`` installs them).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from mcgen.export.readers import read_file
from tests.e2e.studio_helpers import copy_world, make_models, start_studio

pytestmark = pytest.mark.browser

CHROME_FLAGS = (  # as tests/e2e/test_view_browser.py
    "--headless=new", "--no-sandbox", "--disable-gpu", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
    "--window-size=1400,860", "--force-device-scale-factor=1",
)
AT = (-20, -60, 36)  # in chunks of mc1_21_3_flat_redstone that the game generated


def _find(*names: str) -> str | None:
    return next((p for p in map(shutil.which, names) if p), None)


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(tmp_path_factory, downloads):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e .[test])")
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

    chromium, driver_path = _find("chromium", "chromium-browser"), _find("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("no chromium/chromedriver found: apt-get install -y chromium chromium-driver (.ci/run does)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in CHROME_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chrome-profile')}")
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    drv = webdriver.Chrome(service=Service(driver_path), options=opts)
    drv.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


@pytest.fixture(scope="module")
def server(tmp_path_factory, fixtures_dir):
    root = tmp_path_factory.mktemp("studio-browser")
    worlds = root / "worlds"
    worlds.mkdir()
    copy_world(fixtures_dir, "mc1_21_3_flat_redstone", worlds / "redstone")
    srv = start_studio(make_models(root / "models"), worlds)
    yield srv
    srv.stop()


def _until(fn, timeout: float = 60, what: str = "condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = fn()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _set(drv, element_id: str, value: str) -> None:
    el = drv.find_element("id", element_id)
    el.clear()
    el.send_keys(value)


def test_generate_preview_download_and_paste(browser, server, downloads):
    from selenium.webdriver.support.ui import Select  # noqa: PLC0415

    from tests.unit.world_anvil import RegionReader  # noqa: PLC0415

    drv = browser
    drv.get(server.url)
    _until(lambda: drv.execute_script("return window.mcgenStudio && window.mcgenStudio.ready"), what="the page")
    assert Select(drv.find_element("id", "gen-model")).first_selected_option.text == "demo"
    _set(drv, "gen-count", "2")
    _set(drv, "gen-steps", "2")
    _set(drv, "gen-seed", "11")
    drv.find_element("id", "gen-go").click()
    job = _until(lambda: drv.execute_script(
        "const s = window.mcgenStudio, j = s.lastGenerate && s.jobs[s.lastGenerate];"
        "return j && ['done', 'failed', 'cancelled'].includes(j.state) && j"), what="the generate job")
    assert job["state"] == "done" and len(job["results"]) == 2
    cards = _until(lambda: len(drv.find_elements("css selector", "#gen-cards .card")) == 2
                   and drv.find_elements("css selector", "#gen-cards .card"), what="two previews")
    # each preview shows the build: its canvas has drawn (opaque) pixels
    for card in cards:
        drawn = drv.execute_script("const c = arguments[0].querySelector('canvas'), d = c.getContext('2d')"
                                   ".getImageData(0, 0, c.width, c.height).data; let n = 0;"
                                   "for (let i = 3; i < d.length; i += 4) n += d[i] > 0; return n;", card)
        assert drawn > 500
    cards[1].find_element("css selector", "button.pick").click()
    sid = _until(lambda: drv.execute_script("return window.mcgenStudio.picked"), what="the pick")
    assert sid == job["results"][1]

    drv.find_element("id", "tab-place").click()
    _until(lambda: drv.find_element("id", "mat-table").find_elements("css selector", "tbody tr"), what="materials")
    Select(drv.find_element("id", "pl-format")).select_by_value("litematic")
    drv.find_element("id", "pl-download").click()
    files = _until(lambda: [p for p in downloads.glob("*.litematic")], what="the download")
    path = files[0]
    _until(lambda: not list(downloads.glob("*.crdownload")), what="the download to finish")
    status, _, raw = server.request("GET", f"/api/structures/{sid}/export?format=json")
    import json  # noqa: PLC0415

    from mcgen.grid import VoxelGrid  # noqa: PLC0415

    expect = VoxelGrid.from_json_dict(json.loads(raw))
    assert read_file(path) == expect  # mcgen's reader
    litemapy = pytest.importorskip("litemapy")
    region = next(iter(litemapy.Schematic.load(str(path)).regions.values()))
    blocks = sum(1 for x in region.xrange() for y in region.yrange() for z in region.zrange()
                 if region[x, y, z].id != "minecraft:air")
    assert blocks == expect.count()  # an independent reader agrees

    world = server.worlds / "redstone"
    before = (world / "region" / "r.-1.0.mca").read_bytes()
    Select(drv.find_element("id", "pl-world")).select_by_value("redstone")
    drv.find_element("css selector", "input[name=pl-where][value=at]").click()
    for axis, v in zip("xyz", AT):
        _set(drv, f"pl-{axis}", str(v))
    drv.find_element("id", "pl-go").click()
    pasted = _until(lambda: drv.execute_script("return window.mcgenStudio.lastPaste"), what="the paste")
    assert pasted["state"] == "done", pasted
    tp = drv.find_element("id", "pl-tp").text
    assert tp.startswith("/tp @s ") and tp == pasted["report"]["boxes"][0]["tp"]
    assert (world / "region" / "r.-1.0.mca").read_bytes() != before
    got = RegionReader(world).box(*AT, *expect.size)
    assert (got == np.array(expect.palette, dtype=object)[expect.blocks]).all()
    assert [b["id"] for b in server.call("GET", "/api/worlds/redstone")[1]["backups"]] == [pasted["report"]["backup"]]
    assert drv.execute_script("return window.mcgenStudio.errors") == []
