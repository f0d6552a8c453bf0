using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace StChat.Server.Operations;

internal static class OperationsEndpoints
{
    public const string MetricsPath = "/metrics";
    public const string LivePath = "/healthz";
    public const string ReadyPath = "/readyz";

    /// <summary>
    /// /healthz (200 while the process serves requests; asks no dependency), /readyz (200 when every readiness check
    /// passes, else 503 naming what is wrong) and /metrics (Prometheus text). Every other path answers 503 until the
    /// <see cref="StartupSequence"/> is done. With Metrics:Url set, /metrics answers
    /// only on that address's port and that port answers nothing but these three paths. Call before the features map
    /// their endpoints and middleware.
    /// </summary>
    public static WebApplication MapStChatOperations(this WebApplication app)
    {
        var url = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value.Url;
        int? metricsPort = !string.IsNullOrEmpty(url) && MetricsOptionsValidator.TryGetPort(url, out var port) ? port : null;
        if (metricsPort is not null)
        {
            app.Use((context, next) => OnRightPort(context, metricsPort.Value)
                ? next(context)
                : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found").ExecuteAsync(context));
        }

        if (app.Services.GetService<StartupSequence>() is { } startup)
        {
            app.Use((context, next) => startup.IsStarted || IsOperationsPath(context.Request.Path)
                ? next(context)
                : Starting(context));
        }

        app.UseOpenTelemetryPrometheusScrapingEndpoint(context => context.Request.Path == MetricsPath);
        app.MapHealthChecks(LivePath, new HealthCheckOptions
        {
            Predicate = _ => false,
            ResponseWriter = ReadinessResponse.WriteAsync,
        });
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(OperationsServiceCollectionExtensions.ReadyTag),
            ResponseWriter = ReadinessResponse.WriteAsync,
        });
        return app;
    }

    // The metrics port serves the operations paths only, and /metrics is served on no other port.
    private static bool OnRightPort(HttpContext context, int metricsPort) =>
        context.Connection.LocalPort == metricsPort ? IsOperationsPath(context.Request.Path) : context.Request.Path != MetricsPath;

    private static bool IsOperationsPath(PathString path) => path == MetricsPath || path == LivePath || path == ReadyPath;

    // Until every feature has started (the schema migrated first), only the operations paths answer.
    private static Task Starting(HttpContext context)
    {
        context.Response.Headers.RetryAfter = "2";
        return TypedResults.Problem(
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "Starting",
            detail: $"The server is starting; {ReadyPath} says what it waits for.").ExecuteAsync(context);
    }
}
