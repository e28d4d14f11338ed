/*
 * ember_sim_main.c - ember-sim: the token models side by side over a demand
 * curve, on the chain's own state-transition code (sim.h).
 *
 *   ember-sim [--model bme|sfa|hybrid|all] [--epochs N] [--epoch-blocks N]
 *             [--block-ms N] [--demand-usd X] [--price-usd X] [--emission EMB]
 *             [--decay-bps N]
 *             [--curve constant|growing:PCT|shock:EPOCH:FACTOR|ramp:EPOCHS]
 *             [--providers N] [--out DIR]
 *
 * Writes DIR/sim.csv, DIR/sim.svg when gnuplot is on PATH, and prints a
 * summary with the closed form the chain promises for epoch 1 and, per
 * model, the epoch from which burn stays within 1% of mint (the burn-mint
 * steady state), if the run reaches it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ember/amount.h"
#include "ember/sim.h"
#include "ember/version.h"

#define SIM_MODELS 3
/* Steady: burn within 1% of mint in every epoch of a window of at least a
 * fifth of the run, and never fewer than SIM_STEADY_MIN epochs. */
#define SIM_STEADY_TOL_PPM 10000
#define SIM_STEADY_MIN 5

static void usage(FILE *f)
{
	fprintf(f,
"usage: ember-sim [options]\n"
"\n"
"Runs the token economy epoch by epoch on the chain's own state-transition\n"
"code (a throwaway LMDB ledger per model) and writes DIR/sim.csv and, when\n"
"gnuplot is installed, DIR/sim.svg.\n"
"\n"
"Without options it runs the default example: demand ramps up to D/P = the\n"
"emission by epoch 10, so bme and hybrid reach the burn-mint equilibrium\n"
"(burn = mint, supply flat) and the summary says from which epoch.\n"
"\n"
"  --model M          bme, sfa, hybrid or all (default all)\n"
"  --epochs N         epochs to run, the warm-up epoch 0 included (default 50)\n"
"  --epoch-blocks N   blocks per epoch (default 100)\n"
"  --block-ms N       block time in ms (default 6000)\n"
"  --demand-usd X     USD tenants spend per epoch from epoch 1 (default 40000)\n"
"  --price-usd X      token price every validator reports (default 0.5)\n"
"  --emission EMB     emission of epoch 0 in EMB (default 80000)\n"
"  --decay-bps N      per-epoch emission decay (default 0)\n"
"  --curve C          constant, growing:PCT (PCT %% per epoch),\n"
"                     shock:EPOCH:FACTOR (demand x FACTOR from EPOCH on) or\n"
"                     ramp:EPOCHS (demand rises to the full amount by EPOCHS;\n"
"                     default ramp:10)\n"
"  --providers N      providers, and as many tenants (default 50)\n"
"  --out DIR          output directory (default sim-out)\n"
"  --version          print the version and exit\n"
"  --help             this text\n");
}

/* Value of option argv[*i] (advancing *i), or NULL after a message. */
static const char *opt_value(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "ember-sim: option '%s' needs a value\n", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

static int opt_uint(const char *opt, const char *v, uint64_t min, uint64_t max,
                    uint64_t *out)
{
	uint64_t x;

	if (sim_decimal_parse(v, 0, &x) != 0 || x < min || x > max) {
		fprintf(stderr, "ember-sim: invalid value '%s' for %s (%llu to %llu)\n",
		        v, opt, (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = x;
	return 0;
}

static int opt_usd(const char *opt, const char *v, uint64_t *out)
{
	if (sim_decimal_parse(v, 6, out) != 0) {
		fprintf(stderr, "ember-sim: invalid amount '%s' for %s (USD with at "
		        "most 6 decimals, e.g. 0.25)\n", v, opt);
		return -1;
	}
	return 0;
}

static double emb(uint64_t v)
{
	return (double)v / (double)EMBER_COIN;
}

/* "dir/name" into out, or -1 when it does not fit. */
static int join(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* 1 if an executable `name` is on PATH. */
static int on_path(const char *name)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	while (path && *path) {
		const char *end = strchr(path, ':');
		size_t len = end ? (size_t)(end - path) : strlen(path);
		if (len && len + 1 + strlen(name) < sizeof(buf)) {
			memcpy(buf, path, len);
			buf[len] = '/';
			strcpy(buf + len + 1, name);
			if (access(buf, X_OK) == 0)
				return 1;
		}
		path = end ? end + 1 : NULL;
	}
	return 0;
}

/*
 * One panel of the plot: a y quantity per model from the CSV.  The script
 * is written with each panel's unit scaled so that tick labels stay short
 * (thousand or million EMB, never 8e+06), and its y range fixed from 0 to
 * the largest value plus headroom, so that no line runs along the frame.
 */
enum plot_kind {
	PLOT_SUPPLY,         /* supply at the end of the epoch */
	PLOT_MINT_BURN,      /* minted solid, burned dashed */
	PLOT_RATIO,          /* burned / minted */
	PLOT_INCOME,         /* provider income */
	PLOT_DEMAND          /* tenants' spend, the same in every model */
};

static const struct plot_panel {
	enum plot_kind kind;
	const char *title;
	const char *unit;          /* after the scale word, e.g. "EMB per epoch" */
} plot_panels[] = {
	{ PLOT_DEMAND, "demand: what tenants spend on leases", "USD per epoch" },
	{ PLOT_MINT_BURN, "minted (solid) and burned (dashed) per epoch",
	  "EMB per epoch" },
	{ PLOT_RATIO, "burn / mint: 1 is the burn-mint equilibrium", "" },
	{ PLOT_SUPPLY, "supply at the end of each epoch", "EMB" },
	{ PLOT_INCOME, "provider income per epoch (emission and payments)",
	  "EMB per epoch" },
};

/* The panel's largest value over every model and epoch, in EMB or USD
 * (or a plain ratio). */
static double plot_max(enum plot_kind k, struct sim_epoch *const *rows,
                       size_t nmodels, uint64_t epochs)
{
	double max = 0, v;

	for (size_t m = 0; m < nmodels; m++)
		for (uint64_t e = 0; e < epochs; e++) {
			const struct sim_epoch *x = &rows[m][e];
			switch (k) {
			case PLOT_SUPPLY: v = emb(x->supply); break;
			case PLOT_MINT_BURN:
				v = emb(x->minted > x->burned ? x->minted : x->burned);
				break;
			case PLOT_RATIO:
				v = x->minted ? (double)x->burned / (double)x->minted : 0;
				break;
			case PLOT_INCOME: v = emb(x->provider_income); break;
			default: v = (double)x->demand_uusd / 1e6; break;
			}
			if (v > max)
				max = v;
		}
	return max;
}

/* Epoch length in words for the x axis, e.g. "100 blocks, 10 min". */
static void plot_epoch_words(char *out, size_t cap, const struct sim_cfg *c)
{
	uint64_t ms = c->epoch_blocks * c->block_time_ms;

	if (ms % 3600000 == 0)
		snprintf(out, cap, "%llu blocks, %llu h", (unsigned long long)c->epoch_blocks,
		         (unsigned long long)(ms / 3600000));
	else if (ms % 60000 == 0)
		snprintf(out, cap, "%llu blocks, %llu min",
		         (unsigned long long)c->epoch_blocks, (unsigned long long)(ms / 60000));
	else
		snprintf(out, cap, "%llu blocks, %.3g s", (unsigned long long)c->epoch_blocks,
		         (double)ms / 1000);
}

/* The panel's script: labels, ranges and its plot command. */
static void plot_panel(FILE *f, const struct plot_panel *p, double max,
                       const char *xwords)
{
	static const struct { double div; const char *word; } scale[] = {
		{ 1e9, "billion " }, { 1e6, "million " }, { 1e3, "thousand " },
		{ 1, "" },
	};
	size_t k = 0;

	if (p->kind != PLOT_RATIO)
		while (k + 1 < sizeof(scale) / sizeof(scale[0]) && max < scale[k].div)
			k++;
	else
		k = sizeof(scale) / sizeof(scale[0]) - 1;
	if (max <= 0)
		max = scale[k].div;
	fprintf(f, "\nset title '%s'\n"
	        "set xlabel 'epoch (%s)'\n", p->title, xwords);
	if (p->kind == PLOT_RATIO)
		fprintf(f, "set ylabel 'burned / minted (ratio)'\n");
	else
		fprintf(f, "set ylabel '%s%s'\n", scale[k].word, p->unit);
	/* 15% headroom over the largest value: lines stay off the top edge */
	fprintf(f, "set yrange [0:%.6g]\n"
	        "d = %.17g\n", max / scale[k].div * 1.15, scale[k].div);
	switch (p->kind) {
	case PLOT_MINT_BURN:
		fprintf(f, "plot for [i=1:words(models)] 'sim.csv' using 1:"
		        "(strcol(2) eq word(models,i) ? column(7)/d : 1/0) with lines "
		        "linewidth lw(i) linecolor i title word(models,i).' minted', \\\n"
		        "     for [i=1:words(models)] 'sim.csv' using 1:"
		        "(strcol(2) eq word(models,i) ? column(8)/d : 1/0) with lines "
		        "linewidth lw(i) dashtype 2 linecolor i title word(models,i).' burned'\n");
		break;
	case PLOT_RATIO:
		fprintf(f, "plot 1 with lines linewidth 1 dashtype 3 linecolor "
		        "rgb 'gray40' title 'burn = mint', \\\n"
		        "     for [i=1:words(models)] 'sim.csv' using 1:"
		        "(strcol(2) eq word(models,i) && column(7) > 0 ? "
		        "column(8)/column(7) : 1/0) with lines linewidth lw(i) "
		        "linecolor i title word(models,i)\n");
		break;
	case PLOT_DEMAND:
		/* one line: the demand curve is an input, shared by the models */
		fprintf(f, "plot 'sim.csv' using 1:(strcol(2) eq word(models,1) ? "
		        "column(3)/d : 1/0) with lines linewidth 2 linecolor "
		        "rgb 'black' title 'every model'\n");
		break;
	default:
		fprintf(f, "plot for [i=1:words(models)] 'sim.csv' using 1:"
		        "(strcol(2) eq word(models,i) ? column(%d)/d : 1/0) with lines "
		        "linewidth lw(i) linecolor i title word(models,i)\n",
		        p->kind == PLOT_SUPPLY ? 6 : 11);
		break;
	}
}

/*
 * DIR/sim.gp, then gnuplot run inside DIR, so that no path has to be quoted
 * in the script.  The panels are stacked in one column over the same epoch
 * range, with fixed margins so that their x axes line up, and each key sits
 * in the right margin, outside the data.  Returns 0 (plotted), 1 (no
 * gnuplot; skipped), -1 (failed, printed).
 */
static int plot(const char *dir, const char *models, const char *curve,
                const struct sim_cfg *c, struct sim_epoch *const *rows,
                size_t nmodels)
{
	const size_t npanel = sizeof(plot_panels) / sizeof(plot_panels[0]);
	char gp[PATH_MAX], xwords[64];
	FILE *f;
	pid_t pid;
	int status;

	if (!on_path("gnuplot")) {
		/* a plot left by an earlier run would no longer match sim.csv */
		if (join(gp, sizeof(gp), dir, "sim.svg") == 0)
			unlink(gp);
		return 1;
	}
	if (join(gp, sizeof(gp), dir, "sim.gp") != 0 || !(f = fopen(gp, "w"))) {
		fprintf(stderr, "ember-sim: cannot write '%s/sim.gp': %s\n", dir,
		        strerror(errno));
		return -1;
	}
	plot_epoch_words(xwords, sizeof(xwords), c);
	fprintf(f, "# written by ember-sim; run inside the output directory\n"
	        "set datafile separator ','\n"
	        "set terminal svg size 1100,%zu dynamic font 'sans,12' "
	        "background rgb 'white'\n"
	        "set output 'sim.svg'\n"
	        "set key outside right top vertical Left reverse noenhanced\n"
	        "set grid\n"
	        "set border linewidth 1\n"
	        "set format y '%%g'\n"
	        "set xrange [0:%llu]\n"
	        "set xtics out nomirror\n"
	        "set ytics out nomirror\n"
	        "models = '%s'\n"
	        "# models whose lines coincide (bme and hybrid burn alike) stay\n"
	        "# visible: each is drawn thinner than the one before, on top of it\n"
	        "lw(i) = 2 + 1.5 * (words(models) - i)\n"
	        "set multiplot layout %zu,1 title 'ember-sim: demand %.6g USD per "
	        "epoch (%s), price %g USD/EMB, emission %.9g EMB per epoch, "
	        "decay %u bps' margins 0.09,0.81,0.04,0.95 spacing 0,0.07\n",
	        300 * npanel + 80, (unsigned long long)(c->epochs > 1 ? c->epochs : 2),
	        models, npanel, (double)c->demand_uusd / 1e6, curve,
	        (double)c->price_uusd / 1e6, emb(c->emission),
	        c->decay_bps);
	for (size_t i = 0; i < npanel; i++)
		plot_panel(f, &plot_panels[i],
		           plot_max(plot_panels[i].kind, rows, nmodels, c->epochs), xwords);
	fprintf(f, "unset multiplot\n");
	if (fclose(f) != 0) {
		fprintf(stderr, "ember-sim: cannot write '%s': %s\n", gp, strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "ember-sim: cannot start gnuplot: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* gnuplot's chatter goes to a log beside the plot, not over the
		 * summary */
		int fd;
		if (chdir(dir) != 0)
			_exit(127);
		fd = open("gnuplot.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		execlp("gnuplot", "gnuplot", "sim.gp", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "ember-sim: gnuplot failed on '%s' (see %s/gnuplot.log); "
		        "the CSV is complete\n", gp, dir);
		return -1;
	}
	return 0;
}

struct model_sum {
	uint64_t supply0, supply, minted, burned, staked, income;
	uint64_t net1_minted, net1_burned;          /* epoch 1 */
	int have1;
};

/* E(1) - D(1)/P (minus the sfa share that is paid, not burned): what
 * docs/economics.md says epoch 1 changes the supply by, in EMB. */
static double closed_form(const struct sim_cfg *c)
{
	uint64_t d1 = 0;
	double e1, burn;

	if (sim_demand(c, 1, &d1) != 0)
		return 0;
	e1 = emb(c->emission) * (10000.0 - c->decay_bps) / 10000.0;
	burn = (double)d1 / (double)c->price_uusd;
	if (c->model == EMBER_MODEL_SFA)
		burn = burn * c->protocol_fee_bps / 10000.0;
	return e1 - burn;
}

int main(int argc, char **argv)
{
	struct sim_cfg cfg;
	struct sim *sims[SIM_MODELS] = { NULL };
	struct sim_epoch *rows[SIM_MODELS] = { NULL };
	struct model_sum sum[SIM_MODELS];
	enum ember_token_model models[SIM_MODELS];
	size_t nmodels = 0;
	const char *out = "sim-out", *model = "all", *curve = "ramp:10";
	char path[PATH_MAX], err[512], names[32] = "";
	FILE *csv = NULL;
	struct timespec t0, t1;
	uint64_t v;
	int rc = 1;

	sim_cfg_default(&cfg);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(a, "--version") == 0) {
			printf("ember-sim %s\n", EMBER_VERSION);
			return 0;
		}
		if (a[0] != '-' || a[1] != '-') {
			fprintf(stderr, "ember-sim: unexpected argument '%s'\n", a);
			usage(stderr);
			return 2;
		}
		if (!(val = opt_value(argc, argv, &i)))
			return 2;
		if (strcmp(a, "--model") == 0) {
			model = val;
		} else if (strcmp(a, "--epochs") == 0) {
			if (opt_uint(a, val, 1, SIM_EPOCHS_MAX, &cfg.epochs))
				return 2;
		} else if (strcmp(a, "--epoch-blocks") == 0) {
			if (opt_uint(a, val, 1, 1000000, &cfg.epoch_blocks))
				return 2;
		} else if (strcmp(a, "--block-ms") == 0) {
			if (opt_uint(a, val, 1, 3600000, &cfg.block_time_ms))
				return 2;
		} else if (strcmp(a, "--demand-usd") == 0) {
			if (opt_usd(a, val, &cfg.demand_uusd))
				return 2;
		} else if (strcmp(a, "--price-usd") == 0) {
			if (opt_usd(a, val, &cfg.price_uusd))
				return 2;
		} else if (strcmp(a, "--emission") == 0) {
			if (ember_amount_parse(val, &cfg.emission) != 0) {
				fprintf(stderr, "ember-sim: invalid amount '%s' for --emission "
				        "(EMB, e.g. 100000 or 0.5)\n", val);
				return 2;
			}
		} else if (strcmp(a, "--decay-bps") == 0) {
			if (opt_uint(a, val, 0, 10000, &v))
				return 2;
			cfg.decay_bps = (uint32_t)v;
		} else if (strcmp(a, "--curve") == 0) {
			if (sim_curve_parse(&cfg.curve, val, err, sizeof(err)) != 0) {
				fprintf(stderr, "ember-sim: %s\n", err);
				return 2;
			}
			curve = val;
		} else if (strcmp(a, "--providers") == 0) {
			if (opt_uint(a, val, 1, SIM_PROVIDERS_MAX, &v))
				return 2;
			cfg.providers = (uint32_t)v;
		} else if (strcmp(a, "--out") == 0) {
			out = val;
		} else {
			fprintf(stderr, "ember-sim: unknown option '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (strcmp(model, "all") == 0) {
		models[nmodels++] = EMBER_MODEL_BME;
		models[nmodels++] = EMBER_MODEL_SFA;
		models[nmodels++] = EMBER_MODEL_HYBRID;
	} else if (sim_model_parse(model)) {
		models[nmodels++] = sim_model_parse(model);
	} else {
		fprintf(stderr, "ember-sim: unknown model '%s' (bme, sfa, hybrid or "
		        "all)\n", model);
		return 2;
	}
	for (size_t m = 0; m < nmodels; m++) {
		if (m)
			strcat(names, " ");
		strcat(names, sim_model_name(models[m]));
	}

	if (mkdir(out, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "ember-sim: cannot create output directory '%s': %s\n",
		        out, strerror(errno));
		return 1;
	}
	if (join(path, sizeof(path), out, "sim.csv") != 0 || !(csv = fopen(path, "w"))) {
		fprintf(stderr, "ember-sim: cannot write '%s/sim.csv': %s\n", out,
		        strerror(errno));
		return 1;
	}
	printf("ember-sim: %s; %llu epochs of %llu blocks x %llu ms; demand %llu.%02llu "
	       "USD/epoch (%s); price %llu.%06llu USD; emission %.9g EMB, decay %u bps; "
	       "%u providers\n", names, (unsigned long long)cfg.epochs,
	       (unsigned long long)cfg.epoch_blocks, (unsigned long long)cfg.block_time_ms,
	       (unsigned long long)(cfg.demand_uusd / 1000000),
	       (unsigned long long)(cfg.demand_uusd % 1000000 / 10000), curve,
	       (unsigned long long)(cfg.price_uusd / 1000000),
	       (unsigned long long)(cfg.price_uusd % 1000000), emb(cfg.emission),
	       cfg.decay_bps, cfg.providers);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(sum, 0, sizeof(sum));
	for (size_t m = 0; m < nmodels; m++) {
		struct sim_cfg c = cfg;
		c.model = models[m];
		/* Rows are kept and written model by model, so that each model's
		 * series is one contiguous run of lines in the CSV. */
		if (!(rows[m] = calloc(cfg.epochs, sizeof(*rows[m])))) {
			fprintf(stderr, "ember-sim: out of memory\n");
			goto done;
		}
		if (sim_new(&sims[m], &c, err, sizeof(err)) != 0) {
			fprintf(stderr, "ember-sim: %s: %s\n", sim_model_name(models[m]), err);
			goto done;
		}
	}
	for (uint64_t e = 0; e < cfg.epochs; e++) {
		for (size_t m = 0; m < nmodels; m++) {
			struct sim_epoch ep;
			struct model_sum *s = &sum[m];

			if (sim_step(sims[m], &ep, err, sizeof(err)) != 0) {
				fprintf(stderr, "ember-sim: %s, epoch %llu: %s\n",
				        sim_model_name(models[m]), (unsigned long long)e, err);
				goto done;
			}
			rows[m][e] = ep;
			if (e == 0)
				s->supply0 = ep.supply + ep.burned - ep.minted;
			if (e == 1) {
				s->have1 = 1;
				s->net1_minted = ep.minted;
				s->net1_burned = ep.burned;
			}
			s->supply = ep.supply;
			s->minted += ep.minted;
			s->burned += ep.burned;
			s->staked = ep.staked;
			s->income += ep.provider_income;
		}
	}
	for (size_t m = 0; m < nmodels; m++) {
		if (sim_audit(sims[m], err, sizeof(err)) != 0) {
			fprintf(stderr, "ember-sim: %s: the ledger fails its audit: %s\n",
			        sim_model_name(models[m]), err);
			goto done;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	sim_csv_header(csv);
	for (size_t m = 0; m < nmodels; m++)
		for (uint64_t e = 0; e < cfg.epochs; e++)
			sim_csv_row(csv, models[m], &rows[m][e]);
	if (fclose(csv) != 0) {
		csv = NULL;
		fprintf(stderr, "ember-sim: cannot write '%s': %s\n", path, strerror(errno));
		goto done;
	}
	csv = NULL;

	printf("\n%-7s %16s %16s %14s %14s %15s %14s %15s %15s %15s\n", "model",
	       "start supply", "end supply", "minted", "burned", "net change",
	       "staked", "provider income", "net epoch 1", "closed form 1");
	for (size_t m = 0; m < nmodels; m++) {
		const struct model_sum *s = &sum[m];
		struct sim_cfg c = cfg;
		char n1[32] = "-", cf[32] = "-";

		c.model = models[m];
		if (s->have1) {
			snprintf(n1, sizeof(n1), "%.3f", emb(s->net1_minted) - emb(s->net1_burned));
			snprintf(cf, sizeof(cf), "%.3f", closed_form(&c));
		}
		printf("%-7s %16.3f %16.3f %14.3f %14.3f %15.3f %14.3f %15.3f %15s %15s\n",
		       sim_model_name(models[m]), emb(s->supply0), emb(s->supply),
		       emb(s->minted), emb(s->burned), emb(s->minted) - emb(s->burned),
		       emb(s->staked), emb(s->income), n1, cf);
	}
	printf("(EMB; closed form: emission - D/P, sfa: emission - fee share of D/P; "
	       "ledgers audited)\n\n");
	for (size_t m = 0; m < nmodels; m++) {
		uint64_t from;
		double ratio;
		size_t need = cfg.epochs / 5 > SIM_STEADY_MIN ? cfg.epochs / 5 :
		              SIM_STEADY_MIN;

		if (sim_steady(rows[m], cfg.epochs, SIM_STEADY_TOL_PPM, need, &from,
		               &ratio) == 1)
			printf("%-7s steady state from epoch %llu: burn/mint = %.4f "
			       "(every epoch within 1%%)\n", sim_model_name(models[m]),
			       (unsigned long long)from, ratio);
		else
			printf("%-7s no steady state in %llu epochs: burn/mint = %.4f in "
			       "the last one\n", sim_model_name(models[m]),
			       (unsigned long long)cfg.epochs, ratio);
	}
	printf("\nran %llu blocks per model in %.2f s; wrote %s\n",
	       (unsigned long long)(cfg.epochs * cfg.epoch_blocks),
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9,
	       path);
	switch (plot(out, names, curve, &cfg, rows, nmodels)) {
	case 0:
		printf("wrote %s/sim.svg\n", out);
		break;
	case 1:
		printf("note: gnuplot is not on PATH, so no sim.svg (install gnuplot, "
		       "or plot sim.csv yourself)\n");
		break;
	default:
		goto done;
	}
	rc = 0;
done:
	if (csv)
		fclose(csv);
	for (size_t m = 0; m < nmodels; m++) {
		sim_free(sims[m]);
		free(rows[m]);
	}
	return rc;
}
