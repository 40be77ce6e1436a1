# Reference figures of R's survey package for kepu.literacy's tests (CI has no R; the tests read reference.csv).
#
#   Rscript kepu/literacy/tests/engine/data/r/reference.R     (from the repository root)
#
# Needs Debian's r-base-core and r-cran-survey. Reads survey.csv and margins.csv beside this file (written by
# make_data.py) and R's own data(api); writes reference.csv (one row per estimate, 17 significant digits),
# api_margins.csv (the population margins used for the API designs) and versions.txt (R and survey versions).
# Case names: S = the synthetic survey, L = its lonely-PSU variant (rows with lonely_keep == 1).

suppressPackageStartupMessages(library(survey))
invisible(Sys.setlocale("LC_COLLATE", "C"))

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
path <- function(name) file.path(here, name)

rows <- list()
add <- function(case, statistic, variable, domain, estimate, se, df = NA) {
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, statistic = statistic, variable = variable, domain = domain,
    estimate = sprintf("%.17g", estimate), se = sprintf("%.17g", se),
    df = ifelse(is.na(df), "", as.character(df)), stringsAsFactors = FALSE
  )
}
whole <- function(case, des, variable, statistic = "mean") {
  f <- as.formula(paste0("~", variable))
  r <- if (statistic == "mean") svymean(f, des) else svytotal(f, des)
  add(case, statistic, variable, "", coef(r), SE(r), degf(des))
}
by_domain <- function(case, des, variable, domain, statistic = "mean") {
  r <- svyby(as.formula(paste0("~", variable)), as.formula(paste0("~", domain)), des,
             if (statistic == "mean") svymean else svytotal)
  for (i in seq_len(nrow(r))) add(case, statistic, variable, as.character(r[[domain]][i]), coef(r)[i], SE(r)[i])
}

# ------------------------------------------------------------------ the synthetic survey
survey_data <- read.csv(path("survey.csv"), encoding = "UTF-8", stringsAsFactors = FALSE)
for (v in c("district", "sex", "age_group", "area", "education")) {
  survey_data[[v]] <- factor(survey_data[[v]], levels = sort(unique(survey_data[[v]])))
}
survey_data$ds <- factor(paste(survey_data$district, survey_data$sex, sep = "|"))
margins <- read.csv(path("margins.csv"), encoding = "UTF-8", stringsAsFactors = FALSE)

pop_table <- function(variable) {
  m <- margins[margins$variable == variable, ]
  if (variable == "district*sex") {
    parts <- do.call(rbind, strsplit(m$level, "|", fixed = TRUE))
    data.frame(district = parts[, 1], sex = parts[, 2], Freq = m$total)
  } else {
    out <- data.frame(level = m$level, Freq = m$total)
    names(out)[1] <- variable
    out
  }
}
sample_margins <- list(~district + sex, ~age_group, ~area, ~education)
population_margins <- list(pop_table("district*sex"), pop_table("age_group"), pop_table("area"), pop_table("education"))

# calibrate() wants totals of the model matrix columns: N, then every level but the first of each factor.
calibration_totals <- function(d) {
  mm <- model.matrix(~ ds + age_group + area + education, d)
  total_of <- function(variable, level) margins$total[margins$variable == variable & margins$level == level]
  N <- sum(margins$total[margins$variable == "age_group"])
  out <- c(N)
  for (col in colnames(mm)[-1]) {
    for (v in c("ds", "age_group", "area", "education")) {
      if (startsWith(col, v)) {
        level <- substring(col, nchar(v) + 1)
        out <- c(out, total_of(if (v == "ds") "district*sex" else v, level))
        break
      }
    }
  }
  names(out) <- colnames(mm)
  out
}

raked <- function(des, control = list(maxit = 10, epsilon = 1)) {
  rake(des, sample_margins, population_margins, control = control)
}
tight <- list(maxit = 100, epsilon = 1e-10)
calibrated <- function(des) {
  calibrate(des, ~ ds + age_group + area + education, population = calibration_totals(des$variables),
            calfun = "raking", maxit = 100, epsilon = 1e-13)
}
estimates <- function(case, des, totals = TRUE) {
  whole(case, des, "literate")
  if (totals) whole(case, des, "literate", "total")
  by_domain(case, des, "literate", "district")
}

options(survey.lonely.psu = "fail")
S <- svydesign(id = ~psu, strata = ~stratum, weights = ~weight, data = survey_data)
estimates("S_plain", S)
estimates("S_rake_default", raked(S))
estimates("S_rake_tight", raked(S, tight))
estimates("S_calibrate", calibrated(S))
S_jkn <- as.svrepdesign(S, type = "JKn")
estimates("S_jkn", S_jkn)
estimates("S_jkn_rake", raked(S_jkn, tight))

lonely_data <- survey_data[survey_data$lonely_keep == 1, ]
for (method in c("average", "adjust", "remove")) {
  options(survey.lonely.psu = method)
  L <- svydesign(id = ~psu, strata = ~stratum, weights = ~weight, data = lonely_data)
  estimates(paste0("L_", method, "_plain"), L)
  estimates(paste0("L_", method, "_rake"), raked(L, tight))
  estimates(paste0("L_", method, "_calibrate"), calibrated(L))
  if (method != "remove") {
    L_jkn <- as.svrepdesign(L, type = "JKn")
    estimates(paste0("L_", method, "_jkn"), L_jkn)
    estimates(paste0("L_", method, "_jkn_rake"), raked(L_jkn, tight))
  }
}

# ------------------------------------------------------------------ R's API data, unequal weights
options(survey.lonely.psu = "fail")
data(api)
pop_sw <- as.data.frame(table(sch.wide = apipop$sch.wide))
pop_ci <- as.data.frame(table(comp.imp = apipop$comp.imp))
pop_st <- as.data.frame(table(stype = apipop$stype))
api_margins <- rbind(
  data.frame(variable = "sch_wide", level = as.character(pop_sw$sch.wide), total = pop_sw$Freq),
  data.frame(variable = "comp_imp", level = as.character(pop_ci$comp.imp), total = pop_ci$Freq),
  data.frame(variable = "stype", level = as.character(pop_st$stype), total = pop_st$Freq)
)
write.csv(api_margins, path("api_margins.csv"), row.names = FALSE)

dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
api_estimates <- function(case, des) {
  whole(case, des, "api00")
  whole(case, des, "enroll", "total")
  by_domain(case, des, "api00", "stype")
}
api_pop <- function(formula) colSums(model.matrix(formula, apipop))
dstrat_margins <- list(~sch.wide, ~comp.imp)
api_estimates("dstrat_rake_default", rake(dstrat, dstrat_margins, list(pop_sw, pop_ci)))
api_estimates("dstrat_rake_tight", rake(dstrat, dstrat_margins, list(pop_sw, pop_ci), control = tight))
api_estimates("dstrat_calibrate", calibrate(dstrat, ~ sch.wide + comp.imp, api_pop(~ sch.wide + comp.imp),
                                            calfun = "raking", maxit = 100, epsilon = 1e-13))

dclus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
dclus2_margins <- list(~stype, ~sch.wide)
clus2_estimates <- function(case, des) {
  whole(case, des, "api00")
  by_domain(case, des, "api00", "stype")
}
clus2_estimates("dclus2_rake_tight", rake(dclus2, dclus2_margins, list(pop_st, pop_sw), control = tight))
clus2_estimates("dclus2_calibrate", calibrate(dclus2, ~ stype + sch.wide, api_pop(~ stype + sch.wide),
                                              calfun = "raking", maxit = 100, epsilon = 1e-13))

out <- do.call(rbind, rows)
write.csv(out, path("reference.csv"), row.names = FALSE, fileEncoding = "UTF-8")
writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))), path("versions.txt"))
