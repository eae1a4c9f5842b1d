import type { RouteDef } from '../context.js';
import { eventLookupRoutes } from './event-lookup.js';
import { overviewRoutes } from './overview.js';
import { searchPageRoutes } from './search-page.js';

/** The routes the analysts' page reads beyond export, search run and detect's: the overview, one event, a fingerprint's events, a search page by page. */
export const analystRoutes: readonly RouteDef[] = [...overviewRoutes, ...eventLookupRoutes, ...searchPageRoutes];
