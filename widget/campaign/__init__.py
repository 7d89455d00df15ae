"""The campaign: petitions and their texts, partners and their origins, consent
statements, who may embed what (the widget context), embed snippets, and the names of the
organisations that receive data.

May import: core, i18n.
"""
