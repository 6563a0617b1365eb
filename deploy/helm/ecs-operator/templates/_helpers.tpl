{{/*
Names and labels: the only place that computes them; every template uses these.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "ecs-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name: fullnameOverride, else <release>-<name> (just <release> when it contains the name).
Cluster-scoped objects carry it, so two releases never share a ClusterRole.
*/}}
{{- define "ecs-operator.fullname" -}}
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

{{/* chart-version, for the helm.sh/chart label. */}}
{{- define "ecs-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object of the release. */}}
{{- define "ecs-operator.labels" -}}
helm.sh/chart: {{ include "ecs-operator.chart" . }}
{{ include "ecs-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: operator
{{- end }}

{{/* The labels that select the operator pods (immutable once installed: keep them minimal). */}}
{{- define "ecs-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ecs-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The ServiceAccount the operator runs as. */}}
{{- define "ecs-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ecs-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag, the tag defaulting to the chart's appVersion. */}}
{{- define "ecs-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* The ClusterKopfPeering object's name. */}}
{{- define "ecs-operator.peeringName" -}}
{{- default (include "ecs-operator.fullname" .) .Values.peering.name }}
{{- end }}

{{/*
Combinations the schema cannot refuse, refused with the reason (included by the Deployment).
*/}}
{{- define "ecs-operator.validate" -}}
{{- if and .Values.peering.enabled (gt (int .Values.replicas) 1) }}
{{- fail "peering.enabled requires replicas: 1: Kopf pauses every one of several peers with the same priority, so all replicas would pause. Several replicas share the clusters through Leases (leases.enabled) without peering." }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.enabled) }}
{{- fail "metrics.serviceMonitor.enabled requires metrics.enabled: the ServiceMonitor scrapes the metrics Service." }}
{{- end }}
{{- end }}

{{/* The ECS API server's objects: their own component, so no selector of the operator's matches them. */}}
{{- define "ecs-operator.ecsApiLabels" -}}
helm.sh/chart: {{ include "ecs-operator.chart" . }}
{{ include "ecs-operator.ecsApiSelectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "ecs-operator.ecsApiSelectorLabels" -}}
app.kubernetes.io/name: {{ include "ecs-operator.name" . }}-ecs-api
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: ecs-api
{{- end }}
