"""The one place reply text comes from.

``pipeline.compose(act, facts, phraser)``: the GPT-2 phraser for the acts ``plans`` maps,
behind its guard, else the dialogue's ``templates``; ``facts`` types what they read,
``text`` holds the words they share (money, filters, fixed sentences).
"""

from actions.replies.pipeline import Rendered, compose
from actions.replies.text import money

__all__ = ["Rendered", "compose", "money"]
