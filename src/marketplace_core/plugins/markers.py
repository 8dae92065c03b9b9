"""The pluggy markers of the ``marketplace`` project.

Plugin authors decorate hook implementations with :data:`hookimpl`; plugins that
define hooks of their own decorate the specifications with :data:`hookspec`.
"""

import pluggy

PROJECT_NAME = "marketplace"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
