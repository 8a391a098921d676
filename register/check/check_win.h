/* What the deep check learns about an installed Windows (registry + files),
 * kept apart from libguestfs so the registry part is testable on its own. */
#ifndef W2C_REGISTER_CHECK_WIN_H
#define W2C_REGISTER_CHECK_WIN_H

#include "win2cloud/check.h"

typedef struct w2c_win_facts {
	char product[128], edition[64], version[32], build[32], arch[16];
	int viostor_start, vioscsi_start;   /**< -1 when the service is absent */
	char ide[16];                       /**< first IDE service present, "" when none */
	int ide_start;
	char agent[64];                     /**< agent service found, "" when none */
	int rdp_deny;                       /**< fDenyTSConnections, -1 when absent */
	char control_set[16];               /**< "ControlSet001" */
} w2c_win_facts;

/**
 * Read the SYSTEM and SOFTWARE hive files with hivex.  @agents lists the
 * service names that count as the cloud's agent.
 */
w2c_code w2c_win_read_hives(const char *system, const char *software, char **agents,
			    w2c_win_facts *f, w2c_error *err);
/** Findings disk.windows, disk.drivers.*, disk.agent, disk.rdp from @f. */
void w2c_win_report(const char *subject, const w2c_win_facts *f, const char *agent_dir,
		    w2c_check_report *r);

#endif
