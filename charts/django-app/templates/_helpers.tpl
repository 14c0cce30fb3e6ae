{{/* ---------------------------------------------------------------- names and labels */}}

{{- define "django-app.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "django-app.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* <fullname>-static: the static-file server, its Service, ConfigMap and PVC */}}
{{- define "django-app.staticName" -}}
{{- printf "%s-static" (include "django-app.fullname" . | trunc 56 | trimSuffix "-") }}
{{- end }}

{{- define "django-app.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "django-app.labels" -}}
helm.sh/chart: {{ include "django-app.chart" . }}
app.kubernetes.io/name: {{ include "django-app.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels; call with (dict "ctx" $ "component" "web") */}}
{{- define "django-app.selectorLabels" -}}
app.kubernetes.io/name: {{ include "django-app.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "django-app.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}

{{/* ---------------------------------------------------------------- URL encoding */}}

{{/*
django-app.pctEncode: RFC 3986 percent-encoding of a string for the userinfo (user, password) or
a path segment (database name) of a URL. Every byte outside the unreserved set
ALPHA / DIGIT / "-" / "." / "_" / "~" becomes %XX (upper-case hex, UTF-8 bytes for non-ASCII).

Implementation: Go's `urlquery` (url.QueryEscape) escapes exactly every byte outside that set,
except that it writes a space as "+". Because a literal "+" in the input is itself escaped to
"%2B", every "+" left in QueryEscape's output stands for a space, so replacing "+" with "%20"
gives the RFC 3986 encoding. (`urlquery` alone would be wrong: "+" means space only in
application/x-www-form-urlencoded query strings, not in userinfo, where libpq and Python's
urllib.parse.unquote read it as a literal "+".)
*/}}
{{- define "django-app.pctEncode" -}}
{{- urlquery (toString .) | replace "+" "%20" -}}
{{- end }}

{{/* ---------------------------------------------------------------- database */}}

{{/* Fails rendering with a clear message when a db field is missing. */}}
{{- define "django-app.dbValue" -}}
{{- $v := index .db .key -}}
{{- if or (kindIs "invalid" $v) (eq (toString $v) "") -}}
{{- fail (printf "db.%s is required: put it in secrets.yaml (db: host, port, name, user, password, sslmode) and pass the file with -f secrets://secrets.yaml or helmfile `secrets:`" .key) -}}
{{- end -}}
{{- toString $v -}}
{{- end }}

{{/*
DATABASE_URL = <scheme>://<user>:<password>@<host>:<port>/<name>?sslmode=<sslmode>
user, password and name are percent-encoded; an IPv6 host literal is put in brackets.
*/}}
{{- define "django-app.databaseURL" -}}
{{- $db := .Values.db | default dict -}}
{{- $user := include "django-app.dbValue" (dict "db" $db "key" "user") -}}
{{- $password := include "django-app.dbValue" (dict "db" $db "key" "password") -}}
{{- $host := include "django-app.dbValue" (dict "db" $db "key" "host") -}}
{{- $name := include "django-app.dbValue" (dict "db" $db "key" "name") -}}
{{- $port := int (include "django-app.dbValue" (dict "db" $db "key" "port")) -}}
{{- $sslmode := include "django-app.dbValue" (dict "db" $db "key" "sslmode") -}}
{{- if and (contains ":" $host) (not (hasPrefix "[" $host)) -}}
{{- $host = printf "[%s]" $host -}}
{{- end -}}
{{- printf "%s://%s:%s@%s:%d/%s?sslmode=%s" .Values.database.scheme (include "django-app.pctEncode" $user) (include "django-app.pctEncode" $password) $host $port (include "django-app.pctEncode" $name) (urlquery $sslmode) -}}
{{- end }}

{{/* ---------------------------------------------------------------- host names, DDNS */}}

{{/* <namecheap.host>.<namecheap.domain>, or just the domain for the "@" (apex) record. */}}
{{- define "django-app.ddnsFqdn" -}}
{{- $nc := .Values.namecheap | default dict -}}
{{- $domain := $nc.domain | default "" | toString | trimSuffix "." -}}
{{- $host := $nc.host | default "@" | toString -}}
{{- if or (eq $host "@") (eq $host "") -}}
{{- $domain -}}
{{- else -}}
{{- printf "%s.%s" $host $domain -}}
{{- end -}}
{{- end }}

{{/* Public host of the Ingress: ingress.host, else the DDNS name. */}}
{{- define "django-app.host" -}}
{{- $host := .Values.ingress.host | default (include "django-app.ddnsFqdn" .) -}}
{{- if not $host -}}
{{- fail "ingress.host is empty and there is no namecheap.domain to derive it from: set ingress.host or the namecheap: values in secrets.yaml" -}}
{{- end -}}
{{- $host -}}
{{- end }}

{{/*
IP for the DDNS record: ddns.ip, else the top-level lb_ip (helmfile's lb-ip.yaml), else the
LoadBalancer IP of ddns.lookupService read from the cluster at install time (lookup returns
nothing under helm template / lint / --dry-run, then the result is empty).
*/}}
{{- define "django-app.ddnsIP" -}}
{{- $ip := .Values.ddns.ip | default .Values.lb_ip | default "" | toString -}}
{{- if and (not $ip) .Values.ddns.lookupService.name -}}
{{- $svc := lookup "v1" "Service" .Values.ddns.lookupService.namespace .Values.ddns.lookupService.name -}}
{{- range (dig "status" "loadBalancer" "ingress" list $svc) -}}
{{- if and (not $ip) .ip -}}
{{- $ip = .ip -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $ip -}}
{{- end }}

{{- define "django-app.ddnsSecretName" -}}
{{- printf "%s-ddns" (include "django-app.fullname" . | trunc 58 | trimSuffix "-") }}
{{- end }}

{{/* ---------------------------------------------------------------- cert-manager */}}

{{- define "django-app.clusterIssuerName" -}}
{{- if .Values.certManager.clusterIssuerName -}}
{{- .Values.certManager.clusterIssuerName -}}
{{- else if eq .Values.certManager.environment "staging" -}}
letsencrypt-staging
{{- else -}}
letsencrypt-prod
{{- end -}}
{{- end }}

{{- define "django-app.acmeServer" -}}
{{- if eq .Values.certManager.environment "staging" -}}
https://acme-staging-v02.api.letsencrypt.org/directory
{{- else -}}
https://acme-v02.api.letsencrypt.org/directory
{{- end -}}
{{- end }}

{{/* ---------------------------------------------------------------- static files */}}

{{/*
Pod spec shared by the collectstatic hook Job and the CronJob: the app image with the app's
ConfigMap and db Secret (settings may need them), writing into the static PVC.
*/}}
{{- define "django-app.collectstaticPodSpec" -}}
restartPolicy: Never
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  fsGroup: {{ .Values.staticFiles.fsGroup }}
{{- if and .Values.staticFiles.persistence.colocate (eq .Values.staticFiles.persistence.accessMode "ReadWriteOnce") }}
# ReadWriteOnce volume: run on the node where the static server already mounts it.
affinity:
  podAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "django-app.selectorLabels" (dict "ctx" . "component" "static") | nindent 12 }}
{{- end }}
containers:
  - name: collectstatic
    image: {{ include "django-app.image" . }}
    imagePullPolicy: {{ .Values.image.pullPolicy }}
    command:
      {{- toYaml .Values.staticFiles.collectstatic.command | nindent 6 }}
    envFrom:
      - configMapRef:
          name: {{ include "django-app.fullname" . }}-env
      - secretRef:
          name: {{ .Values.database.secretName }}
    securityContext:
      {{- toYaml .Values.securityContext | nindent 6 }}
    volumeMounts:
      - name: static
        mountPath: {{ .Values.staticFiles.root }}
volumes:
  - name: static
    persistentVolumeClaim:
      claimName: {{ include "django-app.staticName" . }}
{{- end }}
