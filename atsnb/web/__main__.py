"""``python -m atsnb.web``: Voila with atsnb's endpoints (started by ``atsnb serve``)."""

from atsnb.web.app import main

main()
