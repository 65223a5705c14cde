"""The dashboard end to end in headless Chromium: resources made through the
AWS API show up on /_dxemu/ui, live; the "take down" button moves a
connection to `down` as DescribeConnections reports; names holding HTML are
shown as text."""
from __future__ import annotations

import os
import time

import pytest

import dashboard_browser

HOSTILE = "<script>alert(1)</script>\"'&<b id=\"injected\">x</b>"


@pytest.fixture(scope="module")
def browser():
    reason = dashboard_browser.missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"dashboard browser test cannot run in CI: {reason}")
        pytest.skip(reason)
    driver = dashboard_browser.chromium()
    driver.set_page_load_timeout(30)
    yield driver
    dashboard_browser.close(driver)


def wait_for(what, check, timeout: float = 15.0):
    """Polls `check` until it returns something truthy; fails after `timeout`."""
    from selenium.common.exceptions import StaleElementReferenceException, NoSuchElementException

    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except (StaleElementReferenceException, NoSuchElementException) as e:
            last = e
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what} (last: {last!r})")


def connection(dx, name: str, location: str = "EqDC2") -> str:
    return dx.create_connection(location=location, bandwidth="1Gbps", connectionName=name)["connectionId"]


def state_of(dx, conn_id: str) -> str:
    return dx.describe_connections(connectionId=conn_id)["connections"][0]["connectionState"]


def row(driver, resource_id: str):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, f"r-{resource_id}")


def test_take_down_from_the_dashboard(server, partner, browser):
    from selenium.webdriver.common.by import By

    conn = connection(partner, "dash-primary")
    assert state_of(partner, conn) == "available"
    browser.get(f"{server.endpoint}/_dxemu/ui")
    assert browser.title == "dxemu dashboard"
    wait_for("the connection's row", lambda: row(browser, conn).is_displayed())
    name = wait_for("its name", lambda: row(browser, conn).find_element(By.CLASS_NAME, "name").text)
    assert name == "dash-primary"
    assert row(browser, conn).get_attribute("data-state") == "available"

    def click_take_down():
        buttons = [b for b in row(browser, conn).find_elements(By.TAG_NAME, "button") if b.text == "take down"]
        if not buttons:
            return False
        buttons[0].click()
        return True

    wait_for("the take-down button", click_take_down)
    # The form posts, the server answers 303 back to the page with a banner.
    banner = wait_for(
        "the result banner",
        lambda: browser.find_element(By.CSS_SELECTOR, ".flash.ok").text,
    )
    assert f"connection {conn} is now down" in banner
    assert "/_dxemu/ui" in browser.current_url
    assert state_of(partner, conn) == "down"
    wait_for("the row to say down", lambda: row(browser, conn).get_attribute("data-state") == "down")
    buttons = [b.text for b in row(browser, conn).find_elements(By.TAG_NAME, "button")]
    assert buttons == ["bring up"], buttons


def test_page_refreshes_itself(server, customer, browser):
    browser.get(f"{server.endpoint}/_dxemu/ui")
    wait_for("the page", lambda: browser.find_element("id", "live"))
    # Made after the page loaded: it must appear without a reload.
    marker = browser.execute_script("window.__dxemuMarker = 1; return window.__dxemuMarker;")
    assert marker == 1
    conn = connection(customer, "appears-live", location="EqDC2")
    wait_for("the new connection to appear", lambda: row(browser, conn).is_displayed(), timeout=10)
    # Same document: the page was not reloaded.
    assert browser.execute_script("return window.__dxemuMarker;") == 1


def test_html_in_names_is_text(server, partner, browser):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    conn = connection(partner, HOSTILE)
    browser.get(f"{server.endpoint}/_dxemu/ui")
    shown = wait_for("the hostile name", lambda: row(browser, conn).find_element(By.CLASS_NAME, "name").text)
    assert shown == HOSTILE
    # Nothing from the name became an element, and no script ran; also not
    # after the live part was swapped in by the refresh script.
    time.sleep(2.5)
    shown = wait_for("the name after a refresh", lambda: row(browser, conn).find_element(By.CLASS_NAME, "name").text)
    assert shown == HOSTILE
    assert browser.find_elements(By.ID, "injected") == []
    assert browser.find_elements(By.CSS_SELECTOR, "#live script") == []
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018


def test_long_name_keeps_state_and_actions_in_view(server, partner, browser):
    """A 300-character name is cut short with its full text on hover; the
    State and Actions cells of its row stay inside the viewport."""
    from selenium.webdriver.common.by import By

    long_name = "x" * 300
    conn = connection(partner, long_name)
    browser.set_window_size(1280, 900)
    browser.get(f"{server.endpoint}/_dxemu/ui")
    wait_for("the connection's row", lambda: row(browser, conn).is_displayed())
    name = row(browser, conn).find_element(By.CLASS_NAME, "name")
    assert name.get_attribute("title") == long_name
    cells = row(browser, conn).find_elements(By.TAG_NAME, "td")
    state_cell, actions_cell = cells[2], cells[-1]
    assert state_cell.text == "available"
    assert "take down" in actions_cell.text
    viewport = browser.execute_script("return document.documentElement.clientWidth")
    for what, cell in (("State", state_cell), ("Actions", actions_cell)):
        box = browser.execute_script("return arguments[0].getBoundingClientRect().toJSON()", cell)
        assert box["left"] >= 0 and box["right"] <= viewport, (what, box, viewport)
    # The page itself does not scroll sideways.
    scroll = browser.execute_script("return document.documentElement.scrollWidth")
    assert scroll <= viewport, (scroll, viewport)
    # The name is cut short on screen, not wrapped over many lines.
    shown = browser.execute_script("return arguments[0].getBoundingClientRect().toJSON()", name)
    assert shown["width"] < 400 and shown["height"] < 30, shown


def test_owner_confirms_a_hosted_connection_from_the_dashboard(server, partner, customer, browser):
    """The owner's "confirm" on a hosted connection in `ordering` calls
    ConfirmConnection as the owner; its detail view then shows the history."""
    from selenium.webdriver.common.by import By

    ic = partner.create_interconnect(interconnectName="dash-ix", bandwidth="10Gbps", location="EqDC2")[
        "interconnectId"
    ]
    hosted = partner.allocate_hosted_connection(
        connectionId=ic, ownerAccount="222222222222", bandwidth="500Mbps", connectionName="dash-hosted", vlan=333
    )["connectionId"]
    assert state_of(customer, hosted) == "ordering"
    browser.get(f"{server.endpoint}/_dxemu/ui")
    wait_for("the hosted connection's row", lambda: row(browser, hosted).is_displayed())
    assert row(browser, hosted).get_attribute("data-state") == "ordering"

    def click_confirm():
        buttons = [b for b in row(browser, hosted).find_elements(By.TAG_NAME, "button") if b.text == "confirm"]
        if not buttons:
            return False
        buttons[0].click()
        return True

    wait_for("the confirm button", click_confirm)
    banner = wait_for("the result banner", lambda: browser.find_element(By.CSS_SELECTOR, ".flash.ok").text)
    assert banner == f"connection {hosted} confirmed; it is now pending"
    # Instant timing: the owner now sees it available.
    assert state_of(customer, hosted) == "available"
    wait_for("the row to say available", lambda: row(browser, hosted).get_attribute("data-state") == "available")
    # The id opens the detail view, whose history has every step.
    row(browser, hosted).find_element(By.CSS_SELECTOR, "td a").click()
    wait_for("the detail view", lambda: browser.find_element(By.ID, "detail").is_displayed())
    assert browser.find_element(By.ID, "detail").get_attribute("data-state") == "available"
    history = [
        [td.text for td in tr.find_elements(By.TAG_NAME, "td")][1:]
        for tr in browser.find_elements(By.CSS_SELECTOR, "table.history tbody tr")
    ]
    assert history == [
        ["—", "ordering", "create"],
        ["ordering", "pending", "api"],
        ["pending", "available", "lifecycle"],
    ], history
    # And links lead on to the interconnect it sits on.
    browser.find_element(By.CSS_SELECTOR, "table.related a").click()
    wait_for("the interconnect's detail view", lambda: browser.find_element(By.ID, "detail").get_attribute("data-id") == ic)


def test_every_other_action_from_the_dashboard(fresh_server, browser):
    """The dashboard's remaining actions, clicked in the browser on a server
    of their own: decline (as the owner), set a VIF's customer routes, move
    the clock an hour and a day, and reset (the last two ask to confirm)."""
    import json
    import urllib.request

    from selenium.webdriver.common.by import By

    srv = fresh_server
    partner_dx = srv.client("111111111111", "us-east-1")
    owner = srv.client("222222222222", "us-east-1")

    def clock_ms():
        with urllib.request.urlopen(f"{srv.endpoint}/_dxemu/clock") as r:
            return json.loads(r.read())["nowMs"]

    def click(resource_id, label, confirm=False):
        def press():
            scope = row(browser, resource_id) if resource_id else browser
            buttons = [b for b in scope.find_elements(By.TAG_NAME, "button") if b.text == label]
            if not buttons:
                return False
            buttons[0].click()
            return True

        wait_for(f"the {label!r} button", press)
        if confirm:
            wait_for("the confirmation", lambda: browser.switch_to.alert).accept()

    ic = partner_dx.create_interconnect(interconnectName="ix", bandwidth="10Gbps", location="EqDC2")["interconnectId"]
    hosted = partner_dx.allocate_hosted_connection(
        connectionId=ic, ownerAccount="222222222222", bandwidth="500Mbps", connectionName="declined", vlan=444
    )["connectionId"]
    conn = owner.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="port")["connectionId"]
    vif = owner.create_private_virtual_interface(
        connectionId=conn,
        newPrivateVirtualInterface={"virtualInterfaceName": "v", "vlan": 101, "asn": 65000,
                                    "virtualGatewayId": "vgw-aba37db6"},
    )["virtualInterfaceId"]
    browser.get(f"{srv.endpoint}/_dxemu/ui")

    # Decline, as the hosted connection's owner.
    click(hosted, "decline", confirm=True)
    wait_for("the decline", lambda: state_of(owner, hosted) == "rejected")

    # The customer router advertises a prefix.
    field = wait_for("the routes field", lambda: row(browser, vif).find_element(By.NAME, "cidrs"))
    field.send_keys("10.1.0.0/16")
    click(vif, "Set routes")

    def accepted():
        routes = owner.list_virtual_interface_routes(
            virtualInterfaceId=vif, filters={"routeDirection": "accepted"})["routes"]
        return [r["cidr"] for r in routes] == ["10.1.0.0/16"]

    wait_for("the accepted route", accepted)

    # The clock: an hour, then a day.
    before = clock_ms()
    click(None, "+1 hour")
    wait_for("an hour to pass", lambda: clock_ms() - before >= 3600 * 1000)
    before = clock_ms()
    click(None, "+1 day")
    wait_for("a day to pass", lambda: clock_ms() - before >= 86400 * 1000)

    # Reset forgets everything.
    click(None, "Reset", confirm=True)
    wait_for("the reset", lambda: owner.describe_connections()["connections"] == [])
