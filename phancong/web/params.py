"""The request parameters the portal's pages share: a signed-in page, bounded query text, a page
number, an obligation id."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from fastapi import Path as PathParam

from phancong.services.access import MAX_ID
from phancong.web.context import Page, page_user

# every page but the login pages needs a signed-in user
PageDep = Annotated[Page, Depends(page_user)]
# a filter or search text: bounded, so a query string cannot be made arbitrarily long
Text = Annotated[str, Query(max_length=100)]
PageNo = Annotated[int, Query(ge=1, le=100_000, alias="page")]
ObligationId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
