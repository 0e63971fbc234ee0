"""The one exception type nnbp raises for bad input; the CLI turns it into a one-line error."""


class NnbpError(Exception):
    """A problem with the user's input: a config key, a file, an option. The message names it.

    The message is kept to one line, whatever a wrapped library's own message held.
    """

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))
