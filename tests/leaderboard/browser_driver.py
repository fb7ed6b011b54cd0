"""Start a leaderboard Space folder's Gradio app on 127.0.0.1 and drive it in headless Chromium.

Runs in the leaderboard venv (gradio + playwright; see the README's leaderboard section), not in the
main one: ``python browser_driver.py SPACE_DIR SCREENSHOT_DIR`` prints one JSON object
with what the browser rendered (table headers and cells per tab) for the test to check.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_table(page, elem_id: str) -> dict:
    """Headers and body cells of a Gradio Dataframe, read through its ARIA grid roles.

    (Gradio 6 renders the body as a virtual list of ``role=row`` divs; a hidden sizing
    table in the DOM holds the widest values and must not be read.)
    """
    grid = f"#{elem_id} [role=grid]"
    page.locator(grid).first.wait_for(state="visible", timeout=30_000)
    page.wait_for_function(
        """(sel) => [...document.querySelectorAll(sel + ' [role=gridcell]')]
                     .some(c => c.textContent.trim().length > 0)""",
        arg=grid,
        timeout=30_000,
    )
    return page.evaluate(
        """(sel) => {
            const clean = (el) => el.textContent.replace(/\\s+/g, ' ').trim();
            const headers = [...document.querySelectorAll(sel + ' [role=columnheader]')]
                .map(h => clean(h).replace(/\\s*⋮$/, ''));
            const rows = [...document.querySelectorAll(sel + ' [role=row]')]
                .map(r => [...r.querySelectorAll('[role=gridcell]')].map(clean))
                .filter(cells => cells.length > 0);
            return {headers, rows};
        }""",
        grid,
    )


def main(space_dir: str, shots: str) -> None:
    os.chdir(space_dir)
    sys.path.insert(0, space_dir)
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    import app  # the Space's app.py: builds `demo`

    port = free_port()
    app.demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, show_error=True)
    url = f"http://127.0.0.1:{port}/"
    out: dict = {"url": url}
    shots_dir = Path(shots)
    shots_dir.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    t0 = time.perf_counter()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(url, wait_until="networkidle")
        out["title"] = page.title()
        out["board_2d"] = read_table(page, "board-2d")
        page.screenshot(path=str(shots_dir / "leaderboard_2d.png"), full_page=True)

        # The table is sortable in the browser: sort by PathMNIST AUC, ascending, from the column menu.
        header = page.locator("#board-2d [role=columnheader]").filter(has_text="PathMNIST AUC")
        header.hover()
        header.get_by_role("button", name="Open cell menu").click(force=True)
        page.get_by_role("menuitem", name="Sort ascending").click()
        page.wait_for_timeout(300)
        out["board_2d_sorted_pathmnist_auc"] = read_table(page, "board-2d")
        header.hover()
        header.get_by_role("button", name="Open cell menu").click(force=True)
        page.get_by_role("menuitem", name="Clear sort").click()
        page.wait_for_timeout(300)

        page.get_by_role("tab", name="3D datasets").click()
        out["board_3d"] = read_table(page, "board-3d")

        page.get_by_role("tab", name="Per dataset").click()
        box = page.locator("#dataset-select input")
        box.click()
        page.get_by_role("option", name="BreastMNIST", exact=True).click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('#board-dataset [role=gridcell]')]"
            ".some(c => c.textContent.trim() === '0.901')",
            timeout=30_000,
        )
        out["board_dataset"] = read_table(page, "board-dataset")
        page.screenshot(path=str(shots_dir / "leaderboard_dataset.png"), full_page=True)

        page.get_by_role("tab", name="2D datasets").click()
        page.get_by_label("ACC").check()  # rank by ACC: the table re-renders in the new order
        page.wait_for_timeout(500)
        page.wait_for_function("() => !document.querySelector('#board-2d .pending') ", timeout=30_000)
        out["board_2d_by_acc"] = read_table(page, "board-2d")

        page.get_by_role("tab", name="Means plot").click()
        page.locator("#means-plot canvas, #means-plot svg").first.wait_for(state="visible", timeout=30_000)
        page.screenshot(path=str(shots_dir / "leaderboard_plot.png"), full_page=True)
        out["plot_rendered"] = True
        browser.close()
    out["browser_seconds"] = round(time.perf_counter() - t0, 2)
    app.demo.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
