using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace StChat.Server.Operations;

/// <summary>
/// The body of /healthz and /readyz: <c>{"status":"Healthy","checks":{...}}</c> when ready, and a problem detail
/// (503) whose <c>detail</c> names every failing check and whose <c>checks</c> holds them all otherwise.
/// </summary>
internal static class ReadinessResponse
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var checks = report.Entries.ToDictionary(
            e => e.Key, e => new ReadinessCheck(e.Value.Status.ToString(), e.Value.Description), StringComparer.Ordinal);
        if (report.Status == HealthStatus.Healthy)
        {
            return TypedResults.Json(new ReadinessReport(report.Status.ToString(), checks), OperationsJsonContext.Default.ReadinessReport)
                .ExecuteAsync(context);
        }

        var failing = report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => $"{e.Key}: {e.Value.Description}");
        return TypedResults.Problem(
                title: "Not ready",
                detail: string.Join(" ", failing),
                statusCode: StatusCodes.Status503ServiceUnavailable,
                extensions: new Dictionary<string, object?> { ["checks"] = checks })
            .ExecuteAsync(context);
    }
}

internal sealed record ReadinessCheck(string Status, string? Description);

internal sealed record ReadinessReport(string Status, Dictionary<string, ReadinessCheck> Checks);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ReadinessReport))]
[JsonSerializable(typeof(Dictionary<string, ReadinessCheck>))]
internal sealed partial class OperationsJsonContext : JsonSerializerContext;
