using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace StChat.Server.Logging;

// Wraps the console provider so that every line, whichever formatter writes it (simple text or JSON), passes through
// LogRedaction first: the message, the state's values and the exception text. The alias keeps Logging:Console:LogLevel
// filters applying to it as they did to the console provider itself.
[ProviderAlias("Console")]
internal sealed class RedactingLoggerProvider(ConsoleLoggerProvider inner) : ILoggerProvider, ISupportExternalScope
{
    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName));

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => inner.SetScopeProvider(scopeProvider);

    public void Dispose() => inner.Dispose();
}
