"""Browser profiles without a browser: sealing, the key, merging, waiting for a profile in
use, the request field and the command line."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from cryptography.fernet import Fernet

from skyvern_core.config import Settings
from skyvern_core.errors import ConfigurationError
from skyvern_core.models import StorageState, TaskRequest, utcnow
from skyvern_core.profiles import ProfileUnavailable, ProfileVault, merge_states, take_profile
from skyvern_core.testing import MemoryStore

STATE = StorageState.model_validate(
    {
        "cookies": [
            {"name": "sid", "value": "s3cr3t-session", "domain": "bank.example", "path": "/"}
        ],
        "origins": [
            {"origin": "https://bank.example", "localStorage": [{"name": "device", "value": "d1"}]}
        ],
    }
)


def test_a_sealed_state_opens_only_with_a_key_of_the_deployment(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed = ProfileVault([old]).seal(STATE, "org_1", "bank")
    assert "s3cr3t-session" not in sealed and "bank.example" not in sealed
    assert ProfileVault([old]).open(sealed, "org_1", "bank") == STATE
    # Rotating: the new key seals, the old one still opens what it sealed.
    rotated = ProfileVault.from_settings(Settings(data_dir=tmp_path, profile_key=f"{new},{old}"))
    assert rotated.open(sealed, "org_1", "bank") == STATE
    assert ProfileVault([new]).open(rotated.seal(STATE, "org_1", "bank"), "org_1", "bank") == STATE
    with pytest.raises(ProfileUnavailable, match="sealed with another key"):
        ProfileVault([new]).open(sealed, "org_1", "bank")
    with pytest.raises(ConfigurationError, match="profile_key must be Fernet keys"):
        ProfileVault.from_settings(Settings(data_dir=tmp_path, profile_key="hunter2"))


def test_with_no_key_set_one_is_kept_in_the_data_folder(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    sealed = ProfileVault.from_settings(settings).seal(STATE, "org_1", "bank")
    key_file = tmp_path / "profile-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert ProfileVault.from_settings(settings).open(sealed, "org_1", "bank") == STATE  # same key
    key_file.write_text("")
    with pytest.raises(ConfigurationError, match="does not hold a browser profile key"):
        ProfileVault.from_settings(settings)


def test_saving_keeps_the_local_storage_of_origins_the_task_did_not_read() -> None:
    captured = StorageState.model_validate(
        {
            "cookies": [{"name": "sid", "value": "new", "domain": "bank.example"}],
            "origins": [
                {"origin": "https://shop.example", "localStorage": [{"name": "cart", "value": "3"}]}
            ],
        }
    )
    merged = merge_states(STATE, captured)
    assert [c.value for c in merged.cookies] == ["new"]  # the browser's cookies as they are
    assert {o.origin for o in merged.origins} == {"https://shop.example", "https://bank.example"}
    emptied = StorageState.model_validate(
        {"origins": [{"origin": "https://bank.example", "localStorage": []}]}
    )
    assert merge_states(STATE, emptied).origins == []  # read empty: the site cleared it


async def test_a_task_waits_for_a_profile_in_use_then_starts_from_what_was_saved(
    tmp_path: Path,
) -> None:
    store = MemoryStore()
    org = await store.get_or_create_organization("default")
    oid = org.organization_id
    settings = Settings(data_dir=tmp_path, profile_wait=5)
    first = await take_profile(store, settings, oid, "bank", "tsk_first")
    assert first.restored == StorageState()
    started = anyio.current_time()

    async def finish_first() -> None:
        await anyio.sleep(0.6)
        await first.save(STATE.playwright())

    async with anyio.create_task_group() as group:
        group.start_soon(finish_first)
        second = await take_profile(store, settings, oid, "bank", "tsk_second")
    assert anyio.current_time() - started >= 0.6  # it waited for the first to end
    assert second.restored == STATE
    profile = await store.get_profile(oid, "bank")
    assert profile.holder_task_id == "tsk_second" and profile.version == 1


async def test_a_task_that_waited_too_long_names_the_holder(tmp_path: Path) -> None:
    store = MemoryStore()
    org = await store.get_or_create_organization("default")
    now = utcnow()
    await store.claim_profile(
        org.organization_id, "bank", "tsk_busy", now=now, until=now + timedelta(hours=1)
    )
    settings = Settings(data_dir=tmp_path, profile_wait=0.3)
    with pytest.raises(ProfileUnavailable) as failed:
        await take_profile(store, settings, org.organization_id, "bank", "tsk_late")
    assert str(failed.value) == "Browser profile 'bank' is in use by task tsk_busy (waited 0.3 s)"


async def test_a_sealed_state_copied_into_another_profiles_row_does_not_open(
    tmp_path: Path,
) -> None:
    # Someone who can write the store but has not the key moves one organization's signed-in
    # state into a profile of their own: it must not open there (nor under another name).
    store = MemoryStore()
    victim = (await store.get_or_create_organization("victim")).organization_id
    attacker = (await store.get_or_create_organization("attacker")).organization_id
    settings = Settings(data_dir=tmp_path)
    held = await take_profile(store, settings, victim, "bank", "tsk_victim")
    await held.save(STATE.playwright())
    stolen = (await store.get_profile(victim, "bank")).sealed_state
    assert stolen
    for org, name, task in ((attacker, "bank", "tsk_a1"), (victim, "other", "tsk_a2")):
        mine = await take_profile(store, settings, org, name, task)
        await store.save_profile(org, name, task, stolen, now=utcnow())
        with pytest.raises(ProfileUnavailable, match="holds the state of another profile"):
            await take_profile(store, settings, org, name, f"{task}_next")
        assert mine.restored == StorageState()
        assert (await store.get_profile(org, name)).holder_task_id is None  # given back
    # The victim's own profile still opens.
    assert (await take_profile(store, settings, victim, "bank", "tsk_v2")).restored == STATE


async def test_a_renewal_after_the_hold_ended_takes_nothing_back(tmp_path: Path) -> None:
    store = MemoryStore()
    oid = (await store.get_or_create_organization("default")).organization_id
    settings = Settings(data_dir=tmp_path)
    saved = await take_profile(store, settings, oid, "bank", "tsk_saved")
    await saved.save(STATE.playwright())
    await saved.renew()  # a renewal that was due as the task ended
    dropped = await take_profile(store, settings, oid, "mail", "tsk_dropped")
    await dropped.release()
    await dropped.renew()
    for name in ("bank", "mail"):
        assert (await store.get_profile(oid, name)).holder_task_id is None
    # A lapsed hold another task took is not taken back by a late renewal.
    late = await take_profile(
        store, settings.model_copy(update={"lease_seconds": 0.1}), oid, "bank", "tsk_late"
    )
    late.hold_seconds = 0.1
    await late.renew()
    await anyio.sleep(0.15)
    other = await take_profile(store, settings, oid, "bank", "tsk_other")
    await late.renew()
    assert (await store.get_profile(oid, "bank")).holder_task_id == "tsk_other"
    await other.release()


@pytest.mark.parametrize("name", ["", "../etc/passwd", "a b", "x" * 65, "bank;drop"])
def test_a_bad_profile_name_is_refused_naming_the_field(name: str) -> None:
    with pytest.raises(ValueError, match="browser_profile must be 1 to 64 letters"):
        TaskRequest(url="https://example.com/", navigation_goal="Go", browser_profile=name)
    good = TaskRequest(url="https://example.com/", navigation_goal="Go", browser_profile="w-2_b")
    assert good.browser_profile == "w-2_b"


def test_the_command_lists_and_deletes_profiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from skyvern_core.cli import main
    from skyvern_core.db.sqlstore import SQLStore

    monkeypatch.setenv("SKYVERN_DATA_DIR", str(tmp_path))

    async def seed() -> None:
        async with SQLStore(f"sqlite:///{tmp_path / 'skyvern.db'}") as store:
            org = await store.get_or_create_organization("default")
            now = utcnow()
            oid = org.organization_id
            await store.claim_profile(oid, "bank", "tsk_a", now=now, until=now + timedelta(hours=1))
            await store.save_profile(oid, "bank", "tsk_a", "sealed", now=now)
            await store.claim_profile(oid, "work", "tsk_b", now=now, until=now + timedelta(hours=1))

    anyio.run(seed)
    assert main(["profiles", "list", "--json"]) == 0
    listed: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    assert [(p["name"], p["version"], p["holder_task_id"]) for p in listed] == [
        ("bank", 1, None),
        ("work", 0, "tsk_b"),
    ]
    assert all("sealed_state" not in p for p in listed)
    assert main(["profiles", "list"]) == 0
    out = capsys.readouterr().out
    assert "bank  saved 1 time (last by tsk_a" in out and "in use by tsk_b" in out
    assert main(["profiles", "delete", "work"]) == 2
    assert "browser profile 'work' is in use by task tsk_b" in capsys.readouterr().err
    assert main(["profiles", "delete", "bank"]) == 0
    assert capsys.readouterr().out.strip() == "Deleted browser profile 'bank'."
    assert main(["profiles", "delete", "bank"]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["profiles", "key"]) == 0
    Fernet(capsys.readouterr().out.strip().encode())  # a usable key


async def test_a_state_over_the_size_limit_is_not_saved_and_the_profile_keeps_its_own(
    tmp_path: Path,
) -> None:
    store = MemoryStore()
    org = await store.get_or_create_organization("default")
    oid = org.organization_id
    settings = Settings(data_dir=tmp_path, max_profile_bytes=2000)
    first = await take_profile(store, settings, oid, "bank", "tsk_first")
    await first.save(STATE.playwright())
    # A site that fills local storage (a hostile page, or a tenant's own) fills no store.
    hold = await take_profile(store, settings, oid, "bank", "tsk_flood")
    flood = STATE.playwright()
    flood["origins"] = [
        {"origin": f"https://x{n}.example", "localStorage": [{"name": "k", "value": "v" * 100}]}
        for n in range(40)
    ]
    with pytest.raises(ValueError, match="over max_profile_bytes"):
        await hold.save(flood)
    await hold.release()
    again = await take_profile(store, settings, oid, "bank", "tsk_next")
    assert again.restored == STATE
    assert (await store.get_profile(oid, "bank")).version == 1
