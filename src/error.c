#include "error.h"

const char *
md_strerror(enum md_err err)
{
	switch (err) {
	case MD_OK:           return "success";
	case MD_ERR_TEMP:     return "temporary failure";
	case MD_ERR_FINAL:    return "permanent failure";
	case MD_ERR_INPUT:    return "invalid input";
	case MD_ERR_NOMEM:    return "out of memory";
	case MD_ERR_IO:       return "I/O error";
	case MD_ERR_DB:       return "database error";
	case MD_ERR_NOTFOUND: return "not found";
	case MD_ERR_EXISTS:   return "already exists";
	case MD_ERR_STATE:    return "not allowed in the current state";
	case MD_ERR_TLS:      return "TLS failure";
	case MD_ERR_AUTH:     return "authentication failed";
	case MD_ERR_LIMIT:    return "limit exceeded";
	}
	return "unknown error";
}

int
md_err_is_temporary(enum md_err err)
{
	return err == MD_ERR_TEMP || err == MD_ERR_IO;
}
