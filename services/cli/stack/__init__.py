"""Local processes of a one-machine Wirestream: Apache Kafka (KRaft), redis-server
and the services. Used by ``wire run``, the test session and the benchmark."""
