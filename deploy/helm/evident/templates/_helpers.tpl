{{/* Names, labels and the pod spec every evident workload shares. */}}

{{- define "evident.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name; short enough for CronJob names (52) plus job suffixes. */}}
{{- define "evident.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "evident.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "evident.selectorLabels" -}}
app.kubernetes.io/name: {{ include "evident.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "evident.labels" -}}
helm.sh/chart: {{ include "evident.chart" . }}
{{ include "evident.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "evident.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "evident.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "evident.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The store URL Secret is required wherever a pod reads or writes history. */}}
{{- define "evident.storeSecret" -}}
{{- required "store.existingSecret: name an existing Secret holding the PostgreSQL URL" .Values.store.existingSecret }}
{{- end }}

{{/* Security context of every container: nothing to escalate, nothing to write. */}}
{{- define "evident.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.runAsUser }}
runAsGroup: {{ .Values.runAsGroup }}
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
Environment of every evident container: the store URL, the credentials the estate
config names, the cache and HOME on their emptyDirs.
*/}}
{{- define "evident.env" -}}
- name: HOME
  value: /tmp
- name: EVIDENT_CACHE_DIR
  value: /var/cache/evident
- name: EVIDENT_STORE
  valueFrom:
    secretKeyRef:
      name: {{ include "evident.storeSecret" . }}
      key: {{ .Values.store.existingSecretKey }}
{{- with .Values.store.passwordSecret }}
- name: PGPASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.store.passwordSecretKey }}
{{- end }}
{{- range .Values.credentials }}
- name: {{ required "credentials[].env is required" .env }}
  valueFrom:
    secretKeyRef:
      name: {{ required "credentials[].secretName is required" .secretName }}
      key: {{ required "credentials[].secretKey is required" .secretKey }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "evident.volumeMounts" -}}
- name: config
  mountPath: /etc/evident/estate.yaml
  subPath: estate.yaml
  readOnly: true
- name: tmp
  mountPath: /tmp
- name: cache
  mountPath: /var/cache/evident
{{- range .Values.secretFiles }}
- name: secret-{{ required "secretFiles[].name is required" .name }}
  mountPath: {{ required "secretFiles[].mountPath is required" .mountPath }}
  readOnly: true
{{- end }}
{{- end }}

{{/* Volumes; `tmp` and `cache` are the size bounds of the two emptyDirs. */}}
{{- define "evident.volumes" -}}
- name: config
  configMap:
    name: {{ include "evident.fullname" .root }}
- name: tmp
  emptyDir:
    sizeLimit: {{ .tmp }}
- name: cache
  emptyDir:
    sizeLimit: {{ .cache }}
{{- range .root.Values.secretFiles }}
- name: secret-{{ .name }}
  secret:
    secretName: {{ required "secretFiles[].secretName is required" .secretName }}
    defaultMode: 0440
{{- end }}
{{- end }}

{{/* Pod-level security context: non-root, fixed IDs, the runtime's seccomp profile. */}}
{{- define "evident.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.runAsUser }}
runAsGroup: {{ .Values.runAsGroup }}
fsGroup: {{ .Values.runAsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
The pod template of a scan (CronJob or Job). `indexed` adds the shard's index and the
run id from the downward API; `args` is the command line after `evident`.
*/}}
{{- define "evident.scanPodTemplate" -}}
{{- $root := .root -}}
metadata:
  labels:
    {{- include "evident.labels" $root | nindent 4 }}
    app.kubernetes.io/component: scan
  {{- with $root.Values.scan.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: {{ include "evident.serviceAccountName" $root }}
  automountServiceAccountToken: {{ $root.Values.serviceAccount.automountServiceAccountToken }}
  restartPolicy: Never
  securityContext:
    {{- include "evident.podSecurityContext" $root | nindent 4 }}
  {{- with $root.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: scan
      image: {{ include "evident.image" $root }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      args:
        {{- toYaml .args | nindent 8 }}
      env:
        {{- include "evident.env" $root | nindent 8 }}
        {{- if .indexed }}
        - name: JOB_COMPLETION_INDEX
          valueFrom:
            fieldRef:
              fieldPath: metadata.annotations['batch.kubernetes.io/job-completion-index']
        - name: JOB_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.labels['batch.kubernetes.io/job-name']
        {{- end }}
      securityContext:
        {{- include "evident.containerSecurityContext" $root | nindent 8 }}
      resources:
        {{- toYaml $root.Values.scan.resources | nindent 8 }}
      volumeMounts:
        {{- include "evident.volumeMounts" $root | nindent 8 }}
  volumes:
    {{- include "evident.volumes" (dict "root" $root "tmp" $root.Values.scan.tmpSizeLimit "cache" $root.Values.scan.cacheSizeLimit) | nindent 4 }}
  {{- with $root.Values.scan.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $root.Values.scan.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $root.Values.scan.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/* The command line of a scan pod, as docs/deploy.md gives it. */}}
{{- define "evident.scanArgs" -}}
{{- $args := list "scan" "--config" "/etc/evident/estate.yaml" "--store" "$(EVIDENT_STORE)" -}}
{{- if eq .Values.mode "sharded" -}}
{{- $args = concat $args (list "--shard" (printf "$(JOB_COMPLETION_INDEX)/%d" (int .Values.shards)) "--run-id" "$(JOB_NAME)") -}}
{{- end -}}
{{- toYaml (concat $args .Values.extraScanArgs) }}
{{- end }}

{{/* The Job spec of one scan run: one pod, or `shards` pods of an Indexed Job. */}}
{{- define "evident.jobSpec" -}}
{{- $sharded := eq .Values.mode "sharded" -}}
{{- if and $sharded (lt (int .Values.shards) 1) -}}
{{- fail "shards must be at least 1" -}}
{{- end -}}
{{- if $sharded -}}
completionMode: Indexed
completions: {{ int .Values.shards }}
parallelism: {{ int .Values.shards }}
{{- else }}
completions: 1
parallelism: 1
{{- end }}
backoffLimit: {{ .Values.scan.backoffLimit }}
activeDeadlineSeconds: {{ .Values.scan.activeDeadlineSeconds }}
ttlSecondsAfterFinished: {{ .Values.scan.ttlSecondsAfterFinished }}
template:
  {{- include "evident.scanPodTemplate" (dict "root" . "indexed" $sharded "args" (include "evident.scanArgs" . | fromYamlArray)) | nindent 2 }}
{{- end }}
