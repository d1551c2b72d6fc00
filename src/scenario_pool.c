/* scenario_pool.c: [pool.NAME] sections. A pool takes the scenario's fleet,
 * batching and cost keys and overrides any of them: `gpu = h100-sxm` under
 * [pool.h100], `-s pool.h100.nodes=40`, `pool.spot.rent_usd_per_gpu_hour`.
 * Router, queue limit and SLO keys stay fleet-wide ([serving]); `role` says
 * what the pool does (mixed, prefill or decode) and `nvlink_domain` which
 * pools of the other role it reaches over NVLink. Values go through the keys' own validation when
 * they are set, and are kept as text so that a pool always resolves on top
 * of the scenario's final values. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "infercost/hw.h"
#include "scenario_impl.h"

/* The keys a pool may set: every fleet key, the batching keys and every
 * price key. Cost keys are printed (and hashed) only where a pool sets
 * them, so that pools without prices print as before. */
static const char *const pool_sections[] = {"fleet", "serving", "cost"};
#define SECTION_COST 2
static const char *const fleet_wide[] = {"router",           "max_queue",          "slo_ttft_s",        "slo_tpot_s",
                                         "slo_e2e_s",        "kv_link_gb_per_s",   "kv_link_efficiency",
                                         "kv_link_latency_s", "ttft_at",         "prefix_route_weight"};

static const struct ic_key_def role_key = {"role", IC_KEY_CHOICE, 0, "mixed", 0, 0, false, IC_POOL_ROLE_CHOICES, "",
                                           "what the pool does"};

/* Prefill and decode pools that name one NVLink domain (e.g. the racks of
 * a GB200 NVL72 fleet, each serving both roles) move KV caches over NVLink
 * instead of the network (serve_disagg.c). */
static const struct ic_key_def nvlink_key = {"nvlink_domain", IC_KEY_TEXT, 0, "none", 0, 0, false, NULL, "",
                                             "NVLink domain the pool shares with pools of the other role (none: the network)"};

static bool is_fleet_wide(const char *key) {
  for (size_t i = 0; i < sizeof fleet_wide / sizeof fleet_wide[0]; i++)
    if (strcmp(key, fleet_wide[i]) == 0) return true;
  return false;
}

/* The key definition of pool key `key` and the section it belongs to. */
static const struct ic_key_def *pool_key(const char *key, const struct ic_section_def **sec) {
  for (size_t i = 0; i < sizeof pool_sections / sizeof pool_sections[0]; i++) {
    char dotted[80];
    snprintf(dotted, sizeof dotted, "%s.%s", pool_sections[i], key);
    const struct ic_key_def *k = ic_scenario_find_key(dotted, sec);
    if (k && !is_fleet_wide(key)) return k;
  }
  return NULL;
}

static struct ic_pool_config *find_pool(struct ic_scenario *s, const char *name, size_t len) {
  for (size_t i = 0; i < s->pool_count; i++)
    if (strlen(s->pools[i].name) == len && strncmp(s->pools[i].name, name, len) == 0) return &s->pools[i];
  return NULL;
}

static bool valid_name(const char *name, size_t len) {
  if (len == 0 || len >= IC_POOL_NAME_MAX) return false;
  for (size_t i = 0; i < len; i++)
    if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '-') return false;
  return true;
}

static struct ic_pool_config *add_pool(struct ic_scenario *s, const char *name, size_t len, const char *path,
                                       long line) {
  if (!valid_name(name, len)) {
    ic_diag(path, line, "pool name '%.*s': expected 1 to %d letters, digits, '_' or '-'", (int)len, name,
            IC_POOL_NAME_MAX - 1);
    return NULL;
  }
  if (s->pool_count == IC_SCENARIO_MAX_POOLS) {
    ic_diag(path, line, "pool '%.*s': at most %d pools", (int)len, name, IC_SCENARIO_MAX_POOLS);
    return NULL;
  }
  struct ic_pool_config *p = &s->pools[s->pool_count++];
  memset(p, 0, sizeof *p);
  snprintf(p->name, sizeof p->name, "%.*s", (int)len, name);
  snprintf(p->nvlink_domain, sizeof p->nvlink_domain, "%s", nvlink_key.default_text);
  if (line > 0)
    snprintf(p->origin, sizeof p->origin, "%s:%ld", path, line);
  else
    snprintf(p->origin, sizeof p->origin, "%s", path);
  return p;
}

bool ic__pool_declare(struct ic_scenario *s, const char *name, const char *path, long line) {
  struct ic_pool_config *p = find_pool(s, name, strlen(name));
  if (p) {
    ic_diag(path, line, "two pools named '%s' (the first at %s)", name, p->origin);
    return false;
  }
  return add_pool(s, name, strlen(name), path, line) != NULL;
}

bool ic__pool_assign(struct ic_scenario *s, const char *name_key, const char *value, const char *path, long line,
                     const char *origin) {
  const char *dot = strchr(name_key, '.');
  if (!dot) {
    ic_diag(path, line, "expected pool.NAME.key, got 'pool.%s'", name_key);
    return false;
  }
  const char *key = dot + 1;
  size_t len = (size_t)(dot - name_key);
  struct ic_pool_config *p = find_pool(s, name_key, len);
  if (!p && !(p = add_pool(s, name_key, len, origin, 0))) return false;
  if (strcmp(key, "role") == 0 || strcmp(key, "nvlink_domain") == 0) {
    char err[256];
    bool role = key[0] == 'r';
    if (!ic__scenario_parse(role ? &role_key : &nvlink_key, value, role ? (void *)&p->role : p->nvlink_domain, err,
                            sizeof err)) {
      ic_diag(path, line, "pool.%s.%s: %s", p->name, key, err);
      return false;
    }
    return true;
  }
  const struct ic_section_def *sec = NULL;
  const struct ic_key_def *k = pool_key(key, &sec);
  if (!k) {
    if (is_fleet_wide(key))
      ic_diag(path, line, "pool.%s.%s: routing, queue and SLO keys are the fleet's: set serving.%s", p->name, key, key);
    else
      ic_diag(path, line, "pool.%s.%s: unknown pool key (a pool takes role, nvlink_domain, the [fleet] keys, the "
                          "batching keys of [serving] and the [cost] keys)", p->name, key);
    return false;
  }
  /* Validate into a scratch field of the right type. */
  union {
    double d;
    int64_t i;
    int c;
    bool b;
    char text[IC_KEY_TEXT_MAX];
  } scratch;
  char err[512];
  if (!ic__scenario_parse(k, value, &scratch, err, sizeof err)) {
    ic_diag(path, line, "pool.%s.%s: %s", p->name, key, err);
    return false;
  }
  struct ic_pool_set *set = NULL;
  for (size_t i = 0; i < p->set_count; i++)
    if (strcmp(p->sets[i].key, key) == 0) set = &p->sets[i];
  if (set && line > 0 && strchr(set->origin, ':')) {
    ic_diag(path, line, "pool.%s.%s is set twice (first at %s)", p->name, key, set->origin);
    return false;
  }
  if (!set) {
    if (p->set_count == IC_POOL_MAX_SETS) {
      ic_diag(path, line, "pool.%s: at most %d keys", p->name, IC_POOL_MAX_SETS);
      return false;
    }
    set = &p->sets[p->set_count++];
  }
  snprintf(set->key, sizeof set->key, "%s", key);
  snprintf(set->value, sizeof set->value, "%s", value);
  snprintf(set->origin, sizeof set->origin, "%s", origin);
  return true;
}

/* A pool's three resolved configs, by section index of pool_sections. */
struct pool_cfg {
  struct ic_fleet_config fleet;
  struct ic_serving_config serving;
  struct ic_cost_config cost;
};

static void *cfg_base(struct pool_cfg *c, const struct ic_section_def *sec) {
  if (strcmp(sec->name, "fleet") == 0) return &c->fleet;
  return strcmp(sec->name, "serving") == 0 ? (void *)&c->serving : (void *)&c->cost;
}

static void resolve(const struct ic_scenario *s, size_t i, struct pool_cfg *c) {
  c->fleet = s->fleet;
  c->serving = s->serving;
  c->cost = s->cost;
  const struct ic_pool_config *p = &s->pools[i];
  for (size_t j = 0; j < p->set_count; j++) {
    const struct ic_section_def *sec = NULL;
    const struct ic_key_def *k = pool_key(p->sets[j].key, &sec);
    char err[256];
    (void)ic__scenario_parse(k, p->sets[j].value, (char *)cfg_base(c, sec) + k->offset, err,
                             sizeof err); /* valid when set */
  }
}

void ic_scenario_pool(const struct ic_scenario *s, size_t i, struct ic_fleet_config *fleet,
                      struct ic_serving_config *serving) {
  struct pool_cfg c;
  resolve(s, i, &c);
  *fleet = c.fleet;
  *serving = c.serving;
}

void ic_scenario_pool_cost(const struct ic_scenario *s, size_t i, struct ic_cost_config *cost) {
  struct pool_cfg c;
  resolve(s, i, &c);
  *cost = c.cost;
}

static bool pool_sets(const struct ic_pool_config *p, const char *key) {
  for (size_t j = 0; j < p->set_count; j++)
    if (strcmp(p->sets[j].key, key) == 0) return true;
  return false;
}

/* Where pool p's key got its value, for messages: its line, or the pool's. */
static const char *origin_of(const struct ic_pool_config *p, const char *key) {
  for (size_t j = 0; j < p->set_count; j++)
    if (strcmp(p->sets[j].key, key) == 0) return p->sets[j].origin;
  return p->origin;
}

/* A domain moves KV caches between prefill and decode pools of one GPU
 * type (an NVLink domain is built of one kind); named alone it would
 * change nothing, silently. */
static void check_domain(const struct ic_scenario *s, size_t i, const struct ic_fleet_config *fc) {
  const struct ic_pool_config *p = &s->pools[i];
  if (strcmp(p->nvlink_domain, "none") == 0) return;
  if (p->role == IC_POOL_MIXED) {
    ic_diag(p->origin, 0, "pool.%s.nvlink_domain: only prefill and decode pools move KV caches (this pool is mixed)",
            p->name);
    return;
  }
  bool partner = false;
  for (size_t j = 0; j < s->pool_count; j++) {
    const struct ic_pool_config *q = &s->pools[j];
    if (j == i || strcmp(q->nvlink_domain, p->nvlink_domain) != 0) continue;
    struct ic_fleet_config qc;
    struct ic_serving_config qs;
    ic_scenario_pool(s, j, &qc, &qs);
    if (strcmp(qc.gpu, fc->gpu) != 0 && j < i)
      ic_diag(p->origin, 0, "pool.%s.nvlink_domain: NVLink domain '%s' joins %s (pool %s) and %s: one GPU type per domain",
              p->name, p->nvlink_domain, qc.gpu, q->name, fc->gpu);
    partner = partner || q->role != p->role;
  }
  if (!partner)
    ic_diag(p->origin, 0, "pool.%s.nvlink_domain: no %s pool shares NVLink domain '%s'", p->name,
            p->role == IC_POOL_PREFILL ? "decode" : "prefill", p->nvlink_domain);
}

void ic__pool_check(const struct ic_scenario *s) {
  size_t roles[3] = {0, 0, 0};
  for (size_t i = 0; i < s->pool_count; i++) roles[s->pools[i].role]++;
  const char *at = s->pool_count ? s->pools[0].origin : s->source;
  if ((roles[IC_POOL_PREFILL] > 0) != (roles[IC_POOL_DECODE] > 0))
    ic_diag(at, 0, "pools: a %s pool needs a %s pool to hand its requests to (or from)",
            roles[IC_POOL_PREFILL] ? "prefill" : "decode", roles[IC_POOL_PREFILL] ? "decode" : "prefill");
  if (roles[IC_POOL_PREFILL] && roles[IC_POOL_MIXED])
    ic_diag(at, 0, "pools: mixed pools cannot sit beside prefill and decode pools (every request is disaggregated "
                   "or none is)");
  for (size_t i = 0; i < s->pool_count; i++) {
    const struct ic_pool_config *p = &s->pools[i];
    struct pool_cfg c;
    resolve(s, i, &c);
    const struct ic_fleet_config fc = c.fleet;
    const struct ic_serving_config sc = c.serving;
    if (p->role != IC_POOL_MIXED && sc.batching != IC_BATCHING_CONTINUOUS)
      ic_diag(origin_of(p, "batching"), 0, "pool.%s.batching: a %s pool needs continuous batching", p->name,
              p->role == IC_POOL_PREFILL ? "prefill" : "decode");
    if (!ic_hw_find_gpu(fc.gpu))
      ic_diag(origin_of(p, "gpu"), 0, "pool.%s.gpu: '%s' is not a built-in accelerator (%s)", p->name, fc.gpu,
              ic_hw_gpu_names());
    /* A server outside the catalogue is user-defined by power.node_base_w and cost.server_price_usd. */
    const struct ic_server_spec *server = ic_hw_resolve_server(fc.server, fc.gpu);
    if (!server && (strcmp(fc.server, "auto") == 0 || isnan(s->power.node_base_w) || isnan(c.cost.server_price_usd)))
      ic_diag(origin_of(p, "server"), 0, "pool.%s.server: '%s' gives no built-in server for %s (%s; or set "
                                         "power.node_base_w and cost.server_price_usd)", p->name, fc.server, fc.gpu,
              ic_hw_server_names());
    else if (server && server->gpus != fc.gpus_per_node)
      ic_diag(origin_of(p, "gpus_per_node"), 0, "pool.%s.gpus_per_node: %lld disagrees with server %s, which holds %lld GPUs",
              p->name, (long long)fc.gpus_per_node, server->name, (long long)server->gpus);
    /* As the fleet's: a replica divides a node, or takes whole nodes and
     * the pool whole replicas. */
    if (fc.gpus_per_replica <= fc.gpus_per_node ? fc.gpus_per_node % fc.gpus_per_replica != 0
                                                : fc.gpus_per_replica % fc.gpus_per_node != 0)
      ic_diag(origin_of(p, "gpus_per_replica"), 0,
              "pool.%s.gpus_per_replica: a replica must fit inside one node and divide it evenly, or take whole "
              "nodes (%lld GPUs per node)", p->name, (long long)fc.gpus_per_node);
    else if (fc.gpus_per_replica > fc.gpus_per_node && fc.nodes % (fc.gpus_per_replica / fc.gpus_per_node) != 0)
      ic_diag(origin_of(p, "nodes"), 0, "pool.%s.nodes: %lld nodes are not whole replicas of %lld nodes each",
              p->name, (long long)fc.nodes, (long long)(fc.gpus_per_replica / fc.gpus_per_node));
    char why[256];
    int64_t per_replica = fc.gpus_per_replica > fc.gpus_per_node ? fc.gpus_per_replica / fc.gpus_per_node : 1;
    const char *bad = ic_cost_check(&c.cost, fc.nodes, per_replica, why, sizeof why);
    if (bad) ic_diag(origin_of(p, bad), 0, "pool.%s.%s: %s", p->name, bad, why);
    struct ic_serving_config routed = c.serving;
    routed.router = s->serving.router; /* the fleet's */
    if ((bad = ic_serve_check_autoscale(&routed, why, sizeof why)))
      ic_diag(origin_of(p, bad), 0, "pool.%s.%s: %s", p->name, bad, why);
    if (sc.spot_interruptions_per_node_hour > 0 && p->role != IC_POOL_MIXED)
      ic_diag(origin_of(p, "spot_interruptions_per_node_hour"), 0,
              "pool.%s.spot_interruptions_per_node_hour: spot interruptions need a mixed pool", p->name);
    if (sc.autoscale != IC_AUTOSCALE_OFF && p->role == IC_POOL_DECODE) /* hand-offs do not skip nodes out of service */
      ic_diag(origin_of(p, "autoscale"), 0, "pool.%s.autoscale: a decode pool cannot autoscale (its requests "
                                             "come from prefill pools, not the router)", p->name);
    if (sc.batching == IC_BATCHING_STATIC && sc.prefill_chunk_tokens > 0)
      ic_diag(origin_of(p, "prefill_chunk_tokens"), 0, "pool.%s.prefill_chunk_tokens: chunked prefill needs batching = continuous",
              p->name);
    if (sc.prefill_chunk_max_tokens > 0 && sc.prefill_chunk_tokens == 0)
      ic_diag(origin_of(p, "prefill_chunk_max_tokens"), 0, "pool.%s.prefill_chunk_max_tokens: has no effect without prefill_chunk_tokens > 0",
              p->name);
    /* A pool's own batching or cache key would otherwise leave its prefix
     * cache off without a word (the fleet-wide pair is checked in scenario.c). */
    bool own = origin_of(p, "batching") != p->origin || origin_of(p, "prefix_cache") != p->origin;
    if (own && p->role == IC_POOL_MIXED && sc.prefix_cache && sc.batching == IC_BATCHING_STATIC) {
      const char *key = origin_of(p, "batching") != p->origin ? "batching" : "prefix_cache";
      ic_diag(origin_of(p, key), 0, "pool.%s.%s: the prefix cache needs batching = continuous", p->name, key);
    }
    check_domain(s, i, &fc);
  }
}

/* Calls fn on each key a pool resolves (role first), formatted. */
typedef void key_visit_fn(void *ctx, const struct ic_key_def *k, const char *value);

static void visit_pool(const struct ic_scenario *s, size_t i, key_visit_fn *fn, void *ctx) {
  struct pool_cfg c;
  resolve(s, i, &c);
  char value[IC_KEY_TEXT_MAX + 32];
  ic_key_format(&role_key, &s->pools[i].role, value, sizeof value);
  fn(ctx, &role_key, value);
  fn(ctx, &nvlink_key, s->pools[i].nvlink_domain);
  for (size_t j = 0; j < sizeof pool_sections / sizeof pool_sections[0]; j++) {
    const struct ic_section_def *sec = NULL;
    for (size_t n = 0; n < ic_scenario_section_count; n++)
      if (strcmp(ic_scenario_sections[n].name, pool_sections[j]) == 0) sec = &ic_scenario_sections[n];
    const void *base = cfg_base(&c, sec);
    for (size_t n = 0; n < sec->key_count; n++) {
      const struct ic_key_def *k = &sec->keys[n];
      if (is_fleet_wide(k->name) || (j == SECTION_COST && !pool_sets(&s->pools[i], k->name))) continue;
      ic_key_format(k, (const char *)base + k->offset, value, sizeof value);
      fn(ctx, k, value);
    }
  }
}

static void print_key(void *ctx, const struct ic_key_def *k, const char *value) {
  fprintf(ctx, "%s = %s  # %s%s%s\n", k->name, value, *k->unit ? k->unit : "", *k->unit ? "; " : "", k->doc);
}

void ic__pool_write(const struct ic_scenario *s, FILE *out) {
  for (size_t i = 0; i < s->pool_count; i++) {
    fprintf(out, "\n[pool.%s]  # a pool: the fleet and batching keys resolved on top of the scenario's\n",
            s->pools[i].name);
    visit_pool(s, i, print_key, out);
  }
}

static uint64_t hash_text(uint64_t h, const char *text) {
  for (const char *c = text; *c; c++) h = (h ^ (unsigned char)*c) * UINT64_C(0x100000001b3);
  return h;
}

static void hash_key(void *ctx, const struct ic_key_def *k, const char *value) {
  uint64_t *h = ctx;
  if (ic__digest_skips_serving(k->name, value)) return; /* the fleet's own digest skips them too */
  *h = hash_text(hash_text(*h, k->name), value);
}

/* Over the resolved values, so that a resolved printout read back has the
 * digest of the scenario it came from. */
uint64_t ic__pool_digest(const struct ic_scenario *s, uint64_t h) {
  for (size_t i = 0; i < s->pool_count; i++) {
    h = hash_text(hash_text(h, "pool."), s->pools[i].name);
    visit_pool(s, i, hash_key, &h);
  }
  return h;
}

const struct ic_key_def *ic_scenario_pool_key(const char *dotted) {
  if (strncmp(dotted, "pool.", 5) != 0) return NULL;
  const char *dot = strchr(dotted + 5, '.');
  if (!dot) return NULL;
  if (strcmp(dot + 1, "role") == 0) return &role_key;
  if (strcmp(dot + 1, "nvlink_domain") == 0) return &nvlink_key;
  const struct ic_section_def *sec = NULL;
  return pool_key(dot + 1, &sec);
}

bool ic_scenario_format_key(const struct ic_scenario *s, const char *dotted, char *buf, size_t size) {
  const struct ic_section_def *sec = NULL;
  const struct ic_key_def *k = ic_scenario_find_key(dotted, &sec);
  if (k) {
    ic_key_format(k, (const char *)s + sec->offset + k->offset, buf, size);
    return true;
  }
  k = ic_scenario_pool_key(dotted);
  const char *name = dotted + 5, *dot = k ? strchr(name, '.') : NULL;
  for (size_t i = 0; dot && i < s->pool_count; i++) {
    if (strlen(s->pools[i].name) != (size_t)(dot - name) || strncmp(s->pools[i].name, name, (size_t)(dot - name)) != 0)
      continue;
    if (k == &role_key || k == &nvlink_key) {
      ic_key_format(k, k == &role_key ? (const void *)&s->pools[i].role : s->pools[i].nvlink_domain, buf, size);
      return true;
    }
    struct pool_cfg c;
    resolve(s, i, &c);
    pool_key(dot + 1, &sec);
    ic_key_format(k, (const char *)cfg_base(&c, sec) + k->offset, buf, size);
    return true;
  }
  return false;
}
