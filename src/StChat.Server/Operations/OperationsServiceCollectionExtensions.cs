using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.OpenTelemetry;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using StChat.Chat;
using StChat.Ingest;
using StChat.Messaging;

namespace StChat.Server.Operations;

internal static class OperationsServiceCollectionExtensions
{
    public const string ReadyTag = "ready";

    // The built-in meters of ASP.NET Core and .NET that say something about a StChat process.
    private static readonly string[] PlatformMeters =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Http.Connections",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "Microsoft.AspNetCore.Authentication",
        "System.Runtime",
    ];

    // NATS.Net records these on every message and every ack, building a tag list each time: the messaging.client.*
    // ones carry the subject (one series per chat room), and all of them are work on the hot path (about 7 % of the
    // ingest worker's CPU while it drains a backlog). nats-server counts the same bytes per connection (/connz). The
    // instruments that change with the connection, not with each message (reconnects, active subscriptions), are kept.
    private static readonly string[] DroppedNatsInstruments =
    [
        "messaging.client.published.messages",
        "messaging.client.consumed.messages",
        "messaging.client.operation.duration",
        "messaging.client.sent.messages",
        "nats.client.sent.bytes",
        "nats.client.received.bytes",
    ];

    /// <summary>The addresses a role listens on: <paramref name="urls"/> (its public addresses) plus Metrics:Url when set.</summary>
    public static string WithMetricsAddress(IConfiguration configuration, string urls)
    {
        var metricsUrl = configuration[$"{MetricsOptions.SectionName}:Url"];
        return string.IsNullOrEmpty(metricsUrl) ? urls : $"{urls};{metricsUrl}";
    }

    /// <summary>
    /// Health checks and metrics. Call after the features are registered: the checks follow what they registered
    /// (PostgreSQL always, NATS when a connection is registered, the JetStream consumer for ingest). The caller listens
    /// on <see cref="WithMetricsAddress"/>.
    /// </summary>
    public static WebApplicationBuilder AddStChatOperations(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<MetricsOptions>().Bind(builder.Configuration.GetSection(MetricsOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MetricsOptions>, MetricsOptionsValidator>());

        var ingest = services.Any(d => d.ServiceType == typeof(IngestMetrics));
        var nats = services.Any(d => d.ServiceType == typeof(NatsConnection));
        var checks = services.AddHealthChecks();
        if (services.Any(d => d.ServiceType == typeof(StartupSequence)))
        {
            checks.AddCheck<StartupReadinessCheck>("startup", tags: [ReadyTag]);
        }

        services.TryAddSingleton<PostgresReadinessCheck>();
        checks.AddCheck<PostgresReadinessCheck>("postgres", tags: [ReadyTag]);
        if (nats)
        {
            services.TryAddSingleton<NatsReadinessCheck>();
            checks.AddCheck<NatsReadinessCheck>("nats", tags: [ReadyTag]);
        }

        if (ingest)
        {
            services.TryAddSingleton<JetStreamReadinessCheck>();
            checks.AddCheck<JetStreamReadinessCheck>("jetstream", tags: [ReadyTag]);
        }

        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("stchat", serviceInstanceId: WorkerIdentity.Id))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(IngestMetrics.MeterName, ChatMetrics.MeterName).AddMeter(PlatformMeters);
                metrics.AddNpgsqlInstrumentation();
                metrics.AddNatsClientInstrumentation();
                foreach (var instrument in DroppedNatsInstruments)
                {
                    metrics.AddView(instrument, MetricStreamConfiguration.Drop);
                }

                metrics.AddPrometheusExporter();
            });
        return builder;
    }
}
