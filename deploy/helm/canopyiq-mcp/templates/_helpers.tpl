{{- define "canopyiq.fullname" -}}
{{- printf "%s" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "canopyiq.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: console, data-plane or migrate. */}}
{{- define "canopyiq.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "canopyiq.image" -}}
{{ printf "%s:%s" .Values.image.repository .Values.image.tag | quote }}
{{- end -}}

{{- define "canopyiq.keysSecret" -}}
{{- if .Values.sharedKeys.existingSecret -}}
{{ .Values.sharedKeys.existingSecret }}
{{- else -}}
{{ include "canopyiq.fullname" . }}-keys
{{- end -}}
{{- end -}}

{{/* The environment every CanopyIQ container gets: plain settings (plus the component's own,
"extra"), the policy signature path, the operator's secret and the shared keys. */}}
{{- define "canopyiq.env" -}}
{{- $root := .root -}}
env:
  {{- range $name, $value := merge (get . "extra" | default dict) $root.Values.env }}
  - name: {{ $name }}
    value: {{ $value | quote }}
  {{- end }}
  {{- if and $root.Values.serviceMonitor.enabled $root.Values.serviceMonitor.bearerTokenSecret.create }}
  # Prometheus's bearer: it reads /api/metrics and nothing else (role metrics_scraper).
  - name: METRICS_SCRAPE_TOKEN
    valueFrom:
      secretKeyRef:
        name: {{ $root.Values.serviceMonitor.bearerTokenSecret.name }}
        key: {{ $root.Values.serviceMonitor.bearerTokenSecret.key }}
  {{- end }}
  {{- if $root.Values.policySignature.enabled }}
  - name: POLICY_SIG_PATH
    value: {{ printf "%s/policy.sig" $root.Values.policySignature.mountPath | quote }}
  {{- end }}
envFrom:
  - secretRef:
      name: {{ $root.Values.secretName }}
  {{- if or $root.Values.sharedKeys.create $root.Values.sharedKeys.existingSecret }}
  - secretRef:
      name: {{ include "canopyiq.keysSecret" $root }}
  {{- end }}
{{- end -}}

{{- define "canopyiq.policyVolumeMounts" -}}
{{- if .Values.policySignature.enabled -}}
volumeMounts:
  - name: policy-sig
    mountPath: {{ .Values.policySignature.mountPath }}
    readOnly: true
{{- end }}
{{- end -}}

{{- define "canopyiq.policyVolumes" -}}
{{- if .Values.policySignature.enabled -}}
volumes:
  - name: policy-sig
    secret:
      secretName: {{ .Values.policySignature.secretName }}
{{- end }}
{{- end -}}

{{- define "canopyiq.probes" -}}
readinessProbe:
  httpGet: { path: /api/health, port: http }
  periodSeconds: 10
  failureThreshold: 3
livenessProbe:
  httpGet: { path: /api/health, port: http }
  initialDelaySeconds: 20
  periodSeconds: 30
  failureThreshold: 5
startupProbe:
  httpGet: { path: /api/health, port: http }
  periodSeconds: 5
  failureThreshold: 60
{{- end -}}
