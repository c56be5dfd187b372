"""policywatch knowledge base: the store, the index, publishing and the CLI.

Data flows one way: crawl (``crawler/``) → snapshot store (``kb.store``) →
extract and diff (``diffs/``, pure functions) → index (``kb.search``) and
publish (``kb.publish``). ``kb.pipeline`` alone knows that order.
"""

__version__ = "0.1.0"
