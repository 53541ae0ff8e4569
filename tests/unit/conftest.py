# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make `ansible_collections.lvs.cluster` importable when pytest runs from a plain checkout."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_COLLECTIONS = os.path.abspath(os.path.join(_HERE, '..', '..', 'collections'))
if os.path.isdir(os.path.join(_COLLECTIONS, 'ansible_collections', 'lvs', 'cluster')) and _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)
    import ansible_collections  # noqa: E402  pylint: disable=wrong-import-position
    _extra = os.path.join(_COLLECTIONS, 'ansible_collections')
    if _extra not in list(ansible_collections.__path__):
        ansible_collections.__path__.append(_extra)
