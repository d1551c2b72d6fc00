/* meta.c: provenance sidecars (NAME.meta.json, provenance.json) written with
 * cJSON; deterministic (no clock), so equal runs give equal sidecars. */
#include "infercost/meta.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ic_version.h"
#include "infercost/outfile.h"

void ic_meta_sidecar_path(const char *data_path, char *buf, size_t size) {
  size_t n = strlen(data_path);
  const char *slash = strrchr(data_path, '/');
  const char *dot = strrchr(data_path, '.');
  if (dot && (!slash || dot > slash) && (!strcmp(dot, ".csv") || !strcmp(dot, ".json"))) n = (size_t)(dot - data_path);
  snprintf(buf, size, "%.*s.meta.json", (int)n, data_path);
}

/* The fields every sidecar shares. */
static cJSON *base_object(const struct ic_meta *m) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  char text[64];
  snprintf(text, sizeof text, "infercost %s", IC_VERSION_STRING);
  cJSON_AddStringToObject(o, "generator", text);
  cJSON_AddStringToObject(o, "command", m->command ? m->command : "");
  const struct ic_scenario *s = m->scenario;
  if (s) {
    cJSON_AddStringToObject(o, "scenario", s->source);
    snprintf(text, sizeof text, "%016llx", (unsigned long long)(m->digest ? m->digest : ic_scenario_digest(s)));
    cJSON_AddStringToObject(o, "digest", text);
    if (m->trace_hash) {
      snprintf(text, sizeof text, "%016llx", (unsigned long long)m->trace_hash);
      cJSON_AddStringToObject(o, "trace", text);
    }
    cJSON_AddNumberToObject(o, "seed", (double)s->run.seed);
    cJSON_AddNumberToObject(o, "run", (double)s->run.run);
    cJSON_AddStringToObject(o, "rng", "mt19937");
    cJSON_AddNumberToObject(o, "duration_s", s->run.duration_s);
  }
  if (m->note) cJSON_AddStringToObject(o, "note", m->note);
  return o;
}

static ic_status fill_text(FILE *f, void *ctx) { return fprintf(f, "%s\n", (const char *)ctx) >= 0 ? IC_OK : IC_EIO; }

/* Prints `o` (freed here) into `path` through the one atomic writer. */
static ic_status write_json(const char *path, cJSON *o) {
  char *text = o ? cJSON_Print(o) : NULL;
  cJSON_Delete(o);
  if (!text) {
    ic_diag(path, 0, "cannot write: out of memory");
    return IC_ENOMEM;
  }
  ic_status st = ic_out_write(path, fill_text, text);
  cJSON_free(text);
  return st;
}

static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

ic_status ic_meta_write_sidecar(const char *data_path, const struct ic_meta *m, const char *describes) {
  char path[4096];
  ic_meta_sidecar_path(data_path, path, sizeof path);
  cJSON *o = base_object(m);
  if (o) {
    cJSON_AddStringToObject(o, "file", base_name(data_path));
    cJSON_AddStringToObject(o, "describes", describes ? describes : "");
  }
  return write_json(path, o);
}

ic_status ic_meta_write_dir(const char *dir, const struct ic_meta *m, const struct ic_meta_file *files, size_t n) {
  char path[4096];
  snprintf(path, sizeof path, "%s/provenance.json", dir);
  cJSON *o = base_object(m);
  cJSON *list = o ? cJSON_AddArrayToObject(o, "files") : NULL;
  for (size_t i = 0; list && i < n; i++) {
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "name", files[i].name);
    cJSON_AddStringToObject(f, "describes", files[i].describes);
    cJSON_AddItemToArray(list, f);
  }
  return write_json(path, o);
}

/* Reads a small JSON file whole; NULL when missing or not JSON. */
static cJSON *read_json(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  return cJSON_Parse(buf);
}

bool ic_meta_caption(const char *data_path, char *buf, size_t size) {
  char path[4096];
  buf[0] = '\0';
  ic_meta_sidecar_path(data_path, path, sizeof path);
  cJSON *o = read_json(path);
  if (!o) {
    const char *slash = strrchr(data_path, '/');
    snprintf(path, sizeof path, "%.*sprovenance.json", slash ? (int)(slash - data_path + 1) : 0, data_path);
    o = read_json(path);
  }
  const cJSON *sc = cJSON_GetObjectItemCaseSensitive(o, "scenario");
  const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "duration_s");
  bool found = cJSON_IsString(sc) && cJSON_IsNumber(d);
  if (found) {
    const char *name = base_name(sc->valuestring);
    double w = d->valuedouble;
    if (w >= 3600 && w == (double)(long long)(w / 3600) * 3600)
      snprintf(buf, size, "%s, %g h simulated", name, w / 3600);
    else
      snprintf(buf, size, "%s, %g s simulated", name, w);
  }
  cJSON_Delete(o);
  return found;
}
