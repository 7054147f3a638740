"""The timeline pages in a real browser: readable on a 375 px phone, axe-clean."""

from conftest import NARROW, WIDE

SERIOUS = {"serious", "critical"}


def test_the_timelines_fit_a_phone_and_pass_axe(page, screenshots):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems = []
    for name in ["people/lei-jun", "themes/focus"]:
        for label, viewport in (("1280", WIDE), ("375", NARROW)):
            page.set_viewport_size(viewport)
            page.goto(f"/{name}/timeline/")
            shot = screenshots / f"timeline-{name.replace('/', '-')}-{label}.png"
            page.screenshot(path=str(shot), full_page=True)
            chart = page.locator("svg.chart").bounding_box()
            assert chart and chart["width"] > 200, f"{name}: the chart is {chart}"
            if label == "375":
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= viewport["width"], f"{name} is {width}px wide at 375px"
                assert chart["width"] <= viewport["width"]
        assert page.locator("svg.chart title").first.text_content()
        for violation in axe.run(page).response["violations"]:
            if violation["impact"] in SERIOUS:
                targets = [node["target"] for node in violation["nodes"]][:3]
                problems.append(f"{name}: {violation['id']} ({violation['impact']}) {targets}")
    assert not problems, "axe-core found serious problems:\n" + "\n".join(problems)
