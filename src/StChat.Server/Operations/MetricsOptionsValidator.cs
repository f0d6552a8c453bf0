using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace StChat.Server.Operations;

internal sealed class MetricsOptionsValidator : IValidateOptions<MetricsOptions>
{
    public ValidateOptionsResult Validate(string? name, MetricsOptions options) =>
        string.IsNullOrEmpty(options.Url) || TryGetPort(options.Url, out _)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"Metrics:Url must be an http:// address with a port, such as http://127.0.0.1:9464 (got '{options.Url}'), or empty.");

    // The port requests to /metrics must arrive on; a listener on port 0 could not be told apart.
    public static bool TryGetPort(string url, out int port)
    {
        port = 0;
        try
        {
            var address = BindingAddress.Parse(url);
            port = address.Port;
            return address.Scheme is "http" or "https" && port is > 0 and <= 65535;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
