using Microsoft.Extensions.Options;

namespace StChat.Catalogue;

// Checked on start so a bad value stops the process with a message naming the key and the accepted range.
internal sealed class CatalogueOptionsValidator : IValidateOptions<CatalogueOptions>
{
    public ValidateOptionsResult Validate(string? name, CatalogueOptions options)
    {
        var errors = new List<string>();
        Range(errors, "PollInterval", options.PollInterval, TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(1));
        Range(errors, "SendTimeout", options.SendTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        Range(errors, "KeepAliveInterval", options.KeepAliveInterval, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        if (options.MaxConnections is < 1 or > 1_000_000)
        {
            errors.Add($"Catalogue:MaxConnections must be between 1 and 1000000 (got {options.MaxConnections}).");
        }

        if (options.SendQueueCapacity is < 1 or > 100_000)
        {
            errors.Add($"Catalogue:SendQueueCapacity must be between 1 and 100000 (got {options.SendQueueCapacity}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Range(List<string> errors, string key, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            errors.Add($"Catalogue:{key} must be between {min} and {max} (got {value}).");
        }
    }
}
