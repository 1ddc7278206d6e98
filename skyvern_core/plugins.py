"""Finding plugins and the backends they register.

Plugins are modules (or objects) with :data:`~skyvern_core.hookspecs.hookimpl` functions.
They are found through the ``skyvern_core`` entry-point group — the built-in backends
are published there by skyvern-core itself, exactly like a third party's. A plugin that
fails to import, or whose hook raises, is reported in :attr:`PluginRegistry.errors` and
skipped; the others load.
"""

from __future__ import annotations

import importlib.metadata
import logging
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pluggy

from skyvern_core import hookspecs
from skyvern_core.errors import UnknownBackendError

if TYPE_CHECKING:
    from skyvern_core.config import Settings
    from skyvern_core.protocols import (
        ArtifactStore,
        BrowserDriver,
        LLMProvider,
        Notifier,
        Planner,
        Store,
    )

__all__ = [
    "BACKEND_KINDS",
    "BackendContext",
    "PluginError",
    "PluginRegistry",
    "Registrar",
    "Registration",
    "get_registry",
    "reset_registry",
]

log = logging.getLogger(__name__)

BACKEND_KINDS: dict[str, str] = {
    "driver": "register_drivers",
    "store": "register_stores",
    "planner": "register_planners",
    "llm_provider": "register_llm_providers",
    "notifier": "register_notifiers",
    "artifact_store": "register_artifact_stores",
    "captcha_solver": "register_captcha_solvers",
}
"""Backend kind → the hook that registers it."""

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Registration:
    """A backend factory and where it came from."""

    kind: str
    name: str
    factory: Callable[[BackendContext], Any]
    plugin: str
    distribution: str | None = None
    version: str | None = None


@dataclass(frozen=True, slots=True)
class PluginError:
    """A plugin that could not be loaded or whose hook failed."""

    plugin: str
    distribution: str | None
    error: str
    detail: str = ""


@dataclass(slots=True)
class _PluginInfo:
    name: str
    distribution: str | None = None
    version: str | None = None


class Registrar:
    """The ``register(name, factory)`` callback a hook receives.

    One is made for each plugin's call of each hook, so a hook wrapper (``wrapper=True``
    or ``hookwrapper=True``) sees whose turn it is in ``plugin`` and, after its ``yield``,
    what that plugin registered in ``registered`` (names, in order). ``found`` is where the
    registrations of every plugin are gathered, by kind and name.
    """

    def __init__(
        self,
        kind: str,
        plugin: str,
        found: dict[tuple[str, str], Registration],
        *,
        distribution: str | None = None,
        version: str | None = None,
    ) -> None:
        self.kind = kind
        self.plugin = plugin
        self.registered: list[str] = []
        self._distribution = distribution
        self._version = version
        self._found = found

    def __call__(self, name: str, factory: Callable[[BackendContext], Any]) -> None:
        """Register ``factory`` as the backend ``name`` of this hook's kind."""
        if not isinstance(name, str) or not name or not callable(factory):
            raise TypeError(
                f"register() takes a non-empty name and a callable factory, "
                f"got {name!r}, {factory!r}"
            )
        key = (self.kind, name)
        first = self._found.get(key)
        if first is not None:
            log.warning(
                "%s %r from plugin %r ignored: already registered by %r",
                self.kind,
                name,
                self.plugin,
                first.plugin,
            )
            return
        self._found[key] = Registration(
            self.kind, name, factory, self.plugin, self._distribution, self._version
        )
        self.registered.append(name)

    def __repr__(self) -> str:
        return f"<register {self.kind} for plugin {self.plugin!r}>"


class BackendContext:
    """What a factory gets: the settings and the other backends of the same agent.

    ``ctx.backend("llm_provider")`` returns the agent's LLM provider (building it on first
    use), so a planner factory can depend on it without knowing which one it is.
    """

    def __init__(
        self,
        settings: Settings,
        registry: PluginRegistry,
        resolve: Callable[[str], Any] | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self._resolve = resolve

    def backend(self, kind: str) -> Any:
        """Return the agent's backend of ``kind`` (one of :data:`BACKEND_KINDS`)."""
        if self._resolve is None:
            reg = self.registry.get(kind, getattr(self.settings, kind))
            return reg.factory(self)
        return self._resolve(kind)


class PluginRegistry:
    """One plugin manager and the backends its plugins registered.

    ``entry_points=False`` switches discovery off (tests register what they need);
    ``only`` limits which entry points load (``SKYVERN_PLUGINS``).
    """

    def __init__(self, *, entry_points: bool = True, only: Iterable[str] | None = None) -> None:
        self.manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.manager.add_hookspecs(hookspecs)
        self.errors: list[PluginError] = []
        self._info: dict[str, _PluginInfo] = {}
        self._registrations: dict[tuple[str, str], Registration] | None = None
        self._only = set(only) if only is not None else None
        self._lock = threading.Lock()
        if entry_points:
            self._load_entry_points()

    # ------------------------------------------------------------------ loading

    def _load_entry_points(self) -> None:
        eps = importlib.metadata.entry_points(group=hookspecs.PROJECT_NAME)
        # skyvern-core's own plugins first, so a third party cannot shadow a built-in name
        # by accident; it can still register the same backend under its own name.
        ordered = sorted(eps, key=lambda ep: (_dist_name(ep) != "skyvern-core", ep.name))
        for ep in ordered:
            if self._only is not None and ep.name not in self._only:
                continue
            dist = _dist_name(ep)
            version = ep.dist.version if ep.dist is not None else None
            if self.manager.has_plugin(ep.name):
                continue
            try:
                module = ep.load()
            except Exception as exc:
                self._report(ep.name, dist, exc)
                continue
            self.register(module, name=ep.name, distribution=dist, version=version)

    def register(
        self,
        plugin: object,
        *,
        name: str | None = None,
        distribution: str | None = None,
        version: str | None = None,
    ) -> str:
        """Register a plugin object or module; return the name it is known by."""
        try:
            hash(plugin)
        except TypeError:
            # pluggy keeps plugins in sets (subset hook callers, get_plugins()); an
            # unhashable object (a SimpleNamespace) takes part through a view of it.
            plugin = _PluginView(plugin)
        try:
            plugin_name = self.manager.register(plugin, name=name)
        except Exception as exc:
            self._report(name or repr(plugin), distribution, exc)
            return name or repr(plugin)
        assert plugin_name is not None
        self._info[plugin_name] = _PluginInfo(plugin_name, distribution, version)
        self._registrations = None
        return plugin_name

    def unregister(self, name: str) -> None:
        """Remove a plugin registered under ``name``."""
        self.manager.unregister(name=name)
        self._info.pop(name, None)
        self._registrations = None

    def _report(self, plugin: str, distribution: str | None, exc: BaseException) -> None:
        message = f"{type(exc).__name__}: {exc}"
        log.warning("skyvern-core plugin %r could not be loaded: %s", plugin, message)
        self.errors.append(
            PluginError(
                plugin=plugin,
                distribution=distribution,
                error=message,
                detail="".join(traceback.format_exception(exc)),
            )
        )

    # ------------------------------------------------------------------ backends

    def _collect(self) -> dict[tuple[str, str], Registration]:
        with self._lock:
            if self._registrations is not None:
                return self._registrations
            found: dict[tuple[str, str], Registration] = {}
            for kind, hook_name in BACKEND_KINDS.items():
                impls = [
                    impl
                    for impl in getattr(self.manager.hook, hook_name).get_hookimpls()
                    if not (impl.wrapper or impl.hookwrapper)
                ]
                # get_hookimpls() lists in registration order: the first plugin
                # registered wins a name clash.
                for impl in impls:
                    info = self._info.get(impl.plugin_name, _PluginInfo(impl.plugin_name))
                    # Each plugin's implementation is called on its own, through the hook
                    # caller (so hook wrappers and tracing run around it): one that raises
                    # is reported without hiding the others, and each registration is
                    # known to come from it.
                    others = [o.plugin for o in impls if o is not impl]
                    caller = self.manager.subset_hook_caller(hook_name, remove_plugins=others)
                    registrar = Registrar(
                        kind,
                        info.name,
                        found,
                        distribution=info.distribution,
                        version=info.version,
                    )
                    try:
                        caller(register=registrar)
                    except Exception as exc:
                        self._report(info.name, info.distribution, exc)
            self._registrations = found
            return found

    def registrations(self, kind: str | None = None) -> list[Registration]:
        """Every registered backend (of one kind, if given), sorted by kind and name."""
        regs = self._collect().values()
        return sorted(
            (r for r in regs if kind is None or r.kind == kind), key=lambda r: (r.kind, r.name)
        )

    def names(self, kind: str) -> list[str]:
        """The names registered for a kind of backend."""
        return [r.name for r in self.registrations(kind)]

    def get(self, kind: str, name: str) -> Registration:
        """Return the registration of a backend or raise :class:`UnknownBackendError`."""
        if kind not in BACKEND_KINDS:
            raise ValueError(f"unknown backend kind {kind!r}; one of {sorted(BACKEND_KINDS)}")
        try:
            return self._collect()[(kind, name)]
        except KeyError:
            raise UnknownBackendError(kind.replace("_", " "), name, self.names(kind)) from None

    def plugins(self) -> list[tuple[str, str | None, str | None]]:
        """Loaded plugins as (name, distribution, version)."""
        return sorted((i.name, i.distribution, i.version) for i in self._info.values())

    # Typed accessors, so callers never touch the hook caller.

    def driver_factory(self, name: str) -> Callable[[BackendContext], BrowserDriver]:
        """The factory of the browser driver ``name``."""
        return cast("Callable[[BackendContext], BrowserDriver]", self.get("driver", name).factory)

    def store_factory(self, name: str) -> Callable[[BackendContext], Store]:
        """The factory of the store ``name``."""
        return cast("Callable[[BackendContext], Store]", self.get("store", name).factory)

    def planner_factory(self, name: str) -> Callable[[BackendContext], Planner]:
        """The factory of the planner ``name``."""
        return cast("Callable[[BackendContext], Planner]", self.get("planner", name).factory)

    def llm_provider_factory(self, name: str) -> Callable[[BackendContext], LLMProvider]:
        """The factory of the LLM provider ``name``."""
        return cast(
            "Callable[[BackendContext], LLMProvider]", self.get("llm_provider", name).factory
        )

    def notifier_factory(self, name: str) -> Callable[[BackendContext], Notifier]:
        """The factory of the notifier ``name``."""
        return cast("Callable[[BackendContext], Notifier]", self.get("notifier", name).factory)

    def artifact_store_factory(self, name: str) -> Callable[[BackendContext], ArtifactStore]:
        """The factory of the artifact store ``name``."""
        return cast(
            "Callable[[BackendContext], ArtifactStore]",
            self.get("artifact_store", name).factory,
        )


class _PluginView:
    """A hashable stand-in for a plugin object that is not: the same attributes, by identity.

    pluggy finds hooks with :func:`inspect.getattr_static`, so they are copied in.
    """

    def __init__(self, plugin: object) -> None:
        self.__dict__.update(
            (name, getattr(plugin, name)) for name in dir(plugin) if not name.startswith("__")
        )
        self._plugin = plugin

    def __repr__(self) -> str:
        return repr(self._plugin)


def _dist_name(ep: importlib.metadata.EntryPoint) -> str | None:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return None
    name = dist.metadata["Name"] if dist.metadata else None
    return cast("str | None", name)


_defaults: dict[frozenset[str] | None, PluginRegistry] = {}
_default_lock = threading.Lock()


def get_registry(only: Iterable[str] | None = None) -> PluginRegistry:
    """The process-wide registry for ``only`` (all plugins when ``None``), built on first use.

    Each distinct ``only`` has its own registry, so entry points are loaded once per choice
    of plugins and a later call never gets a registry built for another choice.
    """
    key = frozenset(only) if only is not None else None
    with _default_lock:
        registry = _defaults.get(key)
        if registry is None:
            registry = _defaults[key] = PluginRegistry(only=key)
        return registry


def reset_registry() -> None:
    """Forget the process-wide registries (the next :func:`get_registry` rebuilds one)."""
    with _default_lock:
        _defaults.clear()
