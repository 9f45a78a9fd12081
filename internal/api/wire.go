package api

// The API's answers and bodies that the licence console (package web)
// reads and sends through Call: one definition each, so a page can never
// drift from the API it drives.
type (
	// Pool is a pool as sent (POST/PUT /api/v1/pools) and answered.
	Pool = poolJSON
	// PoolQueue is a pool's waiting-queue settings.
	PoolQueue = queueJSON
	// Integration is an integration as answered (its token only once).
	Integration = integrationJSON
	// AccessRow is one holding of the access review, with its why.
	AccessRow = accessRowJSON
	// PendingGrant is a grant waiting for a seat (GET /api/v1/pending).
	PendingGrant = pendingGrantJSON
	// ModuleGap is a person holding a module seat without the fulfiller
	// seat it requires (GET /api/v1/reports/module-gaps).
	ModuleGap = moduleGapJSON
)
