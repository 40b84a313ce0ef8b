"""Who may call the API: the stack's own Cognito user pool, or an external OIDC issuer given as context."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.constructs.capability import Capability


class ApiAuthorizer(Capability):
    """A JWT authorizer; with no `issuer`, for the user pool and SPA client made here (retained with their users)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, issuer: str | None, audience: tuple[str, ...] = ()
    ) -> None:
        super().__init__(scope, construct_id)
        self.user_pool: cognito.UserPool | None = None
        self.user_pool_client: cognito.UserPoolClient | None = None
        self.authorizer: apigw.IHttpRouteAuthorizer
        if issuer:
            self.authorizer = authorizers.HttpJwtAuthorizer("JwtAuthorizer", issuer, jwt_audience=list(audience))
            cdk.CfnOutput(self, "JwtIssuer", value=issuer)
            return
        self.user_pool = cognito.UserPool(
            self,
            "Users",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            password_policy=cognito.PasswordPolicy(
                min_length=12, require_digits=True, require_lowercase=True, require_uppercase=True, require_symbols=True
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.user_pool_client = self.user_pool.add_client(
            "Spa",
            generate_secret=False,
            # admin_user_password: `make e2e API_URL=…` signs its test users in with AdminInitiateAuth. That call is
            # signed with IAM credentials (cognito-idp:AdminInitiateAuth on this pool), so it opens nothing to the
            # public: anyone with only the client id still has SRP alone, and plain USER_PASSWORD_AUTH stays off.
            auth_flows=cognito.AuthFlow(user_srp=True, admin_user_password=True),
            prevent_user_existence_errors=True,
        )
        self.authorizer = authorizers.HttpUserPoolAuthorizer(
            "UserPoolAuthorizer", self.user_pool, user_pool_clients=[self.user_pool_client]
        )
        cdk.CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)
        cdk.CfnOutput(self, "UserPoolClientId", value=self.user_pool_client.user_pool_client_id)
