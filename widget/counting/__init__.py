"""The count: sharded tallies written on the signing path, the public count read through
the cache, ending signatures without breaking the tallies, verification, the dashboard's
reports and charts.

May import: core, i18n, campaign.
"""
