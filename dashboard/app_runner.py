"""How ``borderwatch serve`` starts the Streamlit app: static assets in place, then the command line."""

from __future__ import annotations

import sys
from pathlib import Path

from dashboard.assets import install_static_assets

APP = Path(__file__).with_name("app.py")
STATIC_DIR = Path(__file__).with_name("static")  # Streamlit serves <app dir>/static at /app/static
MAX_UPLOAD_MB = 25


def streamlit_command(host: str, port: int) -> list[str]:
    """Install the map's offline JS/CSS next to the app and return the command that serves it.

    Parameters
    ----------
    host : str
        Address to listen on (``127.0.0.1`` keeps the dashboard on this machine).
    port : int
        Port to listen on.

    Returns
    -------
    list of str
        ``python -m streamlit run dashboard/app.py`` with the server options the app needs:
        static serving on (for Leaflet), no usage statistics, headless, an upload size limit.

    Examples
    --------
    >>> streamlit_command("127.0.0.1", 8501)[1:4]
    ['-m', 'streamlit', 'run']
    """
    install_static_assets(STATIC_DIR)
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.enableStaticServing", "true",
        "--server.maxUploadSize", str(MAX_UPLOAD_MB),
        # No file watcher: the app is installed code, and watching site-packages costs CPU.
        "--server.fileWatcherType", "none",
        "--client.toolbarMode", "viewer",  # no "Deploy" button for analysts
    ]
