"""The fetch stage: a Scrapy project whose only job is to turn responses into snapshots."""
